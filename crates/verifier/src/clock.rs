//! The current time in Unix seconds, by `kyc_core`'s clock.

use crate::{Error, Result};

/// Seconds since 1970 by the system clock.
pub(crate) fn unix_now() -> Result<u64> {
    kyc_core::time::unix_now().map_err(|_| Error::Clock)
}
