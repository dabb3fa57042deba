//! Consent withdrawal: the person asks the service to delete what it received under a
//! registration, with a signed `ConsentWithdrawal`.

use alloy::primitives::B256;
use kyc_core::files::SignedConsentWithdrawal;

use crate::{
    chain::Chain,
    inspect::{check_signature, SignatureCheck},
    Reason, Result, Store,
};

kyc_core::coded_enum! {
    /// Why a consent withdrawal is refused.
    pub enum WithdrawalRefusal {
        /// The withdrawal names another registration than the session it was sent to.
        RegistrationMismatch = "registration_mismatch",
        /// No session has this registration ID.
        UnknownRegistration = "unknown_registration",
        /// The withdrawal names another service origin than the session's.
        WrongService = "wrong_service",
        /// Nobody answered the session, so there is no consent to withdraw.
        NotAnswered = "not_answered",
        /// The signature breaks the strict rules or recovers no signer, and the subject
        /// is no contract that accepts it.
        BadSignature = "bad_signature",
        /// Signed by, or naming, someone other than the session's subject.
        SignerMismatch = "signer_mismatch",
    }
}

/// What became of a consent withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withdrawal {
    /// The disclosed claims are deleted (or were already); the verdict stays, without them.
    Deleted,
    /// Nothing changed, for this reason.
    Refused(WithdrawalRefusal),
}

/// Checks a withdrawal sent to the session `registration_id` against that session and
/// deletes the disclosed claims at `now`.
pub(crate) async fn withdraw_consent<S: Store>(
    chain: &Chain,
    store: &S,
    registration_id: B256,
    withdrawal: &SignedConsentWithdrawal,
    now: u64,
) -> Result<Withdrawal> {
    let refused = |refusal| Ok(Withdrawal::Refused(refusal));
    if withdrawal.registration_id != registration_id {
        return refused(WithdrawalRefusal::RegistrationMismatch);
    }
    let Some(record) = store.session(withdrawal.registration_id).await? else {
        return refused(WithdrawalRefusal::UnknownRegistration);
    };
    let session = &record.session;
    if withdrawal.service != session.service {
        return refused(WithdrawalRefusal::WrongService);
    }
    let Some(subject) = record.verdict.as_ref().and_then(|verdict| verdict.subject) else {
        return refused(WithdrawalRefusal::NotAnswered);
    };
    if withdrawal.subject != subject {
        return refused(WithdrawalRefusal::SignerMismatch);
    }
    let digest = withdrawal.signing_hash(session.chain_id, session.registry);
    let signed = match check_signature(&withdrawal.signature, digest, subject) {
        SignatureCheck::Valid => None,
        SignatureCheck::AskContract(reason) => {
            let accepted = chain
                .contract_accepts(subject, digest, withdrawal.signature.clone())
                .await?;
            (!accepted).then_some(reason)
        }
        SignatureCheck::Invalid(reason) => Some(reason),
    };
    match signed {
        None => {
            store
                .withdraw_consent(withdrawal.registration_id, now)
                .await?;
            Ok(Withdrawal::Deleted)
        }
        Some(Reason::SignerMismatch) => refused(WithdrawalRefusal::SignerMismatch),
        Some(_) => refused(WithdrawalRefusal::BadSignature),
    }
}
