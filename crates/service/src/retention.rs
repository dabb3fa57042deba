//! Retention: disclosed personal data is deleted once it is older than the period,
//! leaving the verdict without claim values.

use std::{sync::Arc, time::Duration};

use kyc_verifier::Store;
use tracing::{info, warn};

use crate::app::AppState;

/// How often the store is swept: a tenth of the retention, between a second and an hour.
pub(crate) fn sweep_interval(retention: Duration) -> Duration {
    (retention / 10).clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

/// Sweeps the store until the service stops.
pub(crate) async fn run(state: Arc<AppState>) {
    let retention = state.config.retention;
    let every = sweep_interval(retention);
    let mut stopping = state.stopping.subscribe();
    loop {
        match state
            .verifier
            .store()
            .purge_disclosed_older_than(retention)
            .await
        {
            Ok(0) => {}
            Ok(registrations) => info!(
                registrations,
                retention = %kyc_core::time::format_duration(retention),
                "retention: disclosed claims deleted"
            ),
            Err(err) => warn!(%err, "retention: cannot delete old disclosed claims"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopping.wait_for(|stop| *stop) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_follows_the_retention_within_bounds() {
        let day = Duration::from_secs(86_400);
        assert_eq!(sweep_interval(30 * day), Duration::from_secs(3600));
        assert_eq!(
            sweep_interval(Duration::from_secs(60)),
            Duration::from_secs(6)
        );
        assert_eq!(
            sweep_interval(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }
}
