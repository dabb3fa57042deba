//! Declines: the person says no to a registration with an unsigned `Decline`. Anyone
//! holding the code may send one, so it never uses up the session: the service records
//! the first decline, and a later authentic answer still counts.

use alloy::primitives::B256;
use kyc_core::files::Decline;

use crate::{Error, Result, SessionRecord, Store};

kyc_core::coded_enum! {
    /// Why a decline is refused.
    pub enum DeclineRefusal {
        /// The decline names another registration than the session it was sent to.
        RegistrationMismatch = "registration_mismatch",
        /// No session has this registration ID.
        UnknownRegistration = "unknown_registration",
        /// The decline names another service origin than the session's.
        WrongService = "wrong_service",
        /// The session has already been answered: there is nothing left to decline.
        RegistrationUsed = "registration_used",
        /// The session's time to live has passed.
        RegistrationExpired = "registration_expired",
    }
}

/// What became of a decline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declining {
    /// The session is declined since `declined_at` (Unix seconds, the first decline the
    /// service received), and stays open.
    Recorded {
        /// When the service received the first decline.
        declined_at: u64,
    },
    /// Nothing changed, for this reason.
    Refused(DeclineRefusal),
}

/// Records a decline received at `now` for an open session: the first decline's time
/// counts, and a repeated one changes nothing. The time is the service's own: the
/// decline's `declined_at` is the sender's word, which anyone may set.
pub(crate) async fn decline<S: Store>(
    store: &S,
    registration_id: B256,
    decline: &Decline,
    now: u64,
) -> Result<Declining> {
    let id = decline.registration_id;
    if id != registration_id {
        return Ok(Declining::Refused(DeclineRefusal::RegistrationMismatch));
    }
    // A second read only when another answer or decline changed the session meanwhile.
    for _ in 0..2 {
        let record = store.session(id).await?;
        match standing(record.as_ref(), decline, now) {
            Err(refusal) => return Ok(Declining::Refused(refusal)),
            Ok(Some(declined_at)) => return Ok(Declining::Recorded { declined_at }),
            Ok(None) if store.decline(id, now).await? => {
                return Ok(Declining::Recorded { declined_at: now })
            }
            Ok(None) => {}
        }
    }
    Err(Error::CorruptRow {
        what: "session",
        registration_id: id.to_string(),
        reason: "open, yet the decline was not recorded".to_owned(),
    })
}

/// Whether a session may be declined at `now`: the refusal, or when it was declined
/// already, or `None` when it is open and not yet declined.
fn standing(
    record: Option<&SessionRecord>,
    decline: &Decline,
    now: u64,
) -> Result<Option<u64>, DeclineRefusal> {
    let Some(record) = record else {
        return Err(DeclineRefusal::UnknownRegistration);
    };
    if decline.service != record.session.service {
        return Err(DeclineRefusal::WrongService);
    }
    if record.used_at.is_some() {
        return Err(DeclineRefusal::RegistrationUsed);
    }
    if record.session.is_expired(now) {
        return Err(DeclineRefusal::RegistrationExpired);
    }
    Ok(record.declined_at)
}
