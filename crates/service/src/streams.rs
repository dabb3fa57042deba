//! Caps on the open event streams of the public page: per client and in total.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError},
};

use crate::StreamLimit;

/// The open event streams, by client.
#[derive(Debug)]
pub(crate) struct StreamSlots {
    limit: StreamLimit,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open stream; closing it (dropping the slot) frees its place.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    slots: Arc<StreamSlots>,
    client: IpAddr,
}

impl StreamSlots {
    pub(crate) fn new(limit: StreamLimit) -> Arc<Self> {
        Arc::new(Self {
            limit,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more stream of `client`, unless the client or the service is at its cap.
    pub(crate) fn open(self: &Arc<Self>, client: IpAddr) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let total: usize = open.values().sum();
        let mine = open.get(&client).copied().unwrap_or_default();
        if total >= self.limit.total || mine >= self.limit.per_client {
            return None;
        }
        open.insert(client, mine + 1);
        Some(StreamSlot {
            slots: self.clone(),
            client,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}
