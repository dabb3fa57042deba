//! The current time in Unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// Seconds since 1970 by the system clock.
pub(crate) fn unix_now() -> Result<u64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| Error::Clock)
}
