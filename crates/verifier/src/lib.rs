#![doc = include_str!("../README.md")]

mod chain;
mod clock;
mod digest;
mod error;
pub mod inspect;
pub mod policy;
pub mod qr;
pub mod session;
pub mod store;
mod verdict;
mod verifier;

pub use chain::DEFAULT_BATCH_LIMIT;
pub use error::{Error, Result};
pub use policy::Policy;
pub use session::{Session, SessionRequest, SessionStatus};
pub use store::{AnyStore, SessionRecord, Store};
pub use verdict::{Outcome, Reason, Verdict};
pub use verifier::{Judged, Verifier};
