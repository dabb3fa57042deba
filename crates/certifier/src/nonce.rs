//! Transaction nonces of the signing account, handed out locally so several
//! transactions can be in flight at once.

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
};
use tokio::sync::Mutex;

use crate::{Error, Result};

/// Hands out consecutive nonces from the account's pending count, read once.
///
/// After a failed send nobody knows whether the node took the transaction, so
/// [`reset`](Self::reset) makes the next reservation read the count again, which
/// fills the gap instead of leaving later transactions stuck behind it.
#[derive(Debug)]
pub(crate) struct NonceManager {
    account: Address,
    next: Mutex<Option<u64>>,
}

impl NonceManager {
    pub(crate) fn new(account: Address) -> Self {
        Self {
            account,
            next: Mutex::new(None),
        }
    }

    /// The nonce for the next transaction, reserved for the caller.
    pub(crate) async fn reserve(&self, provider: &DynProvider) -> Result<u64> {
        let mut next = self.next.lock().await;
        let nonce = match *next {
            Some(nonce) => nonce,
            None => provider
                .get_transaction_count(self.account)
                .pending()
                .await
                .map_err(Error::rpc("reading the signer's transaction count"))?,
        };
        *next = Some(nonce + 1);
        Ok(nonce)
    }

    /// Forgets the local count; the next reservation asks the node again.
    pub(crate) async fn reset(&self) {
        *self.next.lock().await = None;
    }
}
