//! The registry watcher's loop: a pass every interval while the service runs; the
//! changes it records wake the webhook deliverer.

use std::{sync::Arc, time::Duration};

use kyc_verifier::watcher::{Pass, WatchOptions};
use tracing::{info, warn};

use crate::app::AppState;

/// How the service follows the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorConfig {
    /// How the watcher reads the chain.
    pub watch: WatchOptions,
    /// How long between two passes.
    pub every: Duration,
}

impl Default for MonitorConfig {
    /// The watcher's defaults, a pass a second.
    fn default() -> Self {
        Self {
            watch: WatchOptions::default(),
            every: Duration::from_secs(1),
        }
    }
}

/// What the last pass found, so that the log says when it changes rather than each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Watching,
    Standby,
    Failing,
}

/// Watches the registry until the service stops.
pub(crate) async fn watch(state: Arc<AppState>) {
    let mut watcher = state.verifier.watcher(state.config.monitor.watch);
    let mut stopping = state.stopping.subscribe();
    let mut role = None;
    loop {
        let current = match watcher.pass().await {
            Ok(Pass::Watched { through, events }) => {
                if role != Some(Role::Watching) {
                    info!(block = through, "watcher: following the registry");
                }
                for event in &events {
                    let data = &event.data;
                    info!(
                        kind = %event.kind,
                        subject = data.subject.map(tracing::field::display),
                        certifier = data.certifier.map(tracing::field::display),
                        registration_id = %data.registration_id,
                        block = data.block,
                        "customer status changed"
                    );
                }
                if !events.is_empty() {
                    state.outbox_ready.notify_one();
                }
                Role::Watching
            }
            Ok(Pass::Standby) => {
                if role != Some(Role::Standby) {
                    info!("watcher: another replica follows the registry");
                }
                Role::Standby
            }
            Err(err) => {
                if role != Some(Role::Failing) {
                    warn!(%err, "watcher: cannot read the registry; statuses unchanged, retrying");
                }
                Role::Failing
            }
        };
        role = Some(current);
        tokio::select! {
            () = tokio::time::sleep(state.config.monitor.every) => {}
            _ = stopping.wait_for(|stop| *stop) => return,
        }
    }
}
