//! Retention: disclosed personal data is deleted once it is older than the period,
//! leaving the verdict without claim values. The same sweep records, once, each session
//! that passed its expiry unanswered, with its `session.expired` event.

use std::{sync::Arc, time::Duration};

use kyc_verifier::Store;
use tokio::time::MissedTickBehavior;
use tracing::{info, warn};

use crate::app::AppState;

/// How often the store is swept: a tenth of the retention, between a second and an hour.
pub(crate) fn sweep_interval(retention: Duration) -> Duration {
    (retention / 10).clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

/// The longest a session's expiry waits to be recorded and announced.
const EXPIRIES_EVERY: Duration = Duration::from_secs(5);

/// Sweeps the store until the service stops: expiries every few seconds, old claims at
/// the pace of the retention.
pub(crate) async fn run(state: Arc<AppState>) {
    let retention = state.config.retention;
    let mut expiries = tokio::time::interval(EXPIRIES_EVERY);
    let mut purges = tokio::time::interval(sweep_interval(retention));
    for ticks in [&mut expiries, &mut purges] {
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    }
    let mut stopping = state.stopping.subscribe();
    loop {
        let purge = tokio::select! {
            _ = expiries.tick() => false,
            _ = purges.tick() => true,
            _ = stopping.wait_for(|stop| *stop) => return,
        };
        if purge {
            purge_old_claims(&state, retention).await;
        } else {
            record_expiries(&state).await;
        }
    }
}

/// Deletes the disclosed claims of verdicts older than `retention`.
async fn purge_old_claims(state: &AppState, retention: Duration) {
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
}

/// Sessions whose expiry one transaction records.
const EXPIRIES_PER_BATCH: u32 = 1000;

/// Records the sessions that expired unanswered since the last sweep, and wakes the
/// webhook deliverer for their events.
async fn record_expiries(state: &AppState) {
    let now = crate::routes::unix_now();
    loop {
        let store = state.verifier.store();
        let expired = match store.record_expiries(now, EXPIRIES_PER_BATCH).await {
            Ok(expired) => expired,
            Err(err) => return warn!(%err, "cannot record expired sessions"),
        };
        for registration_id in &expired {
            info!(%registration_id, "session expired unanswered");
            state.announce_change(*registration_id);
        }
        if expired.len() < EXPIRIES_PER_BATCH as usize {
            return;
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
