//! Time, written once: the system clock in Unix seconds, and how times and durations are
//! read and written for people.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// The first second of the year 10000, past which RFC 3339 has no four-digit year.
const YEAR_10000: u64 = 253_402_300_800;

/// Seconds since 1970 by the system clock.
pub fn unix_now() -> Result<u64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| Error::Clock)
}

/// A Unix time for people, in UTC to the second: `2025-01-31T12:00:00Z`. A time past the
/// year 9999 (a chain may hold any `uint64`) is written as its number of seconds.
pub fn format_time(unix: u64) -> String {
    if unix >= YEAR_10000 {
        return unix.to_string();
    }
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

/// Reads a duration such as `10d`, `36h`, `15m` or `0s`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    humantime::parse_duration(text).map_err(|error| Error::Duration(error.to_string()))
}

/// A duration for people: `30days`, `1h 30m`.
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_in_utc_and_any_u64_is_written() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_738_324_800), "2025-01-31T12:00:00Z");
        assert_eq!(format_time(YEAR_10000 - 1), "9999-12-31T23:59:59Z");
        assert_eq!(format_time(YEAR_10000), YEAR_10000.to_string());
        assert_eq!(format_time(u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn durations_read_and_write_in_the_same_units() {
        assert_eq!(
            parse_duration("36h").ok(),
            Some(Duration::from_secs(36 * 3600))
        );
        assert_eq!(parse_duration("0s").ok(), Some(Duration::ZERO));
        assert_eq!(format_duration(Duration::from_secs(30 * 86_400)), "30days");
        let error = parse_duration("ten days").err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.ends_with("(write durations such as 10d, 36h or 15m)")),
            "{error:?}"
        );
    }

    #[test]
    fn the_clock_is_past_2025() {
        assert!(unix_now().is_ok_and(|now| now > 1_735_689_600));
    }
}
