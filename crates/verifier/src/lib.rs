#![doc = include_str!("../README.md")]

mod batch;
mod chain;
mod clock;
pub mod consent;
pub mod customers;
mod decline;
mod digest;
mod error;
pub mod events;
mod group_commit;
pub mod inspect;
pub mod invitations;
mod memo;
pub mod outbox;
mod parallel;
pub mod policy;
pub mod qr;
pub mod session;
pub mod store;
mod verdict;
mod verifier;
pub mod watcher;

pub use batch::Batch;
pub use chain::DEFAULT_BATCH_LIMIT;
pub use consent::{Withdrawal, WithdrawalRefusal};
pub use decline::{DeclineRefusal, Declining};
pub use error::{Error, Result};
pub use group_commit::{Answer, GroupCommit};
pub use policy::Policy;
pub use session::{Session, SessionRequest, SessionStatus};
pub use store::{AnyStore, SessionRecord, Store, WatcherLock};
pub use verdict::{
    describe_refused, pretty_json_array, pretty_json_element, Outcome, Reason, Verdict,
};
pub use verifier::{Judged, Verifier};
