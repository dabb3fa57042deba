//! Declining a registration code: the person says no with an unsigned `Decline` posted
//! to the code's callback, so the service need not wait for the code to expire. It is
//! sent only where a consent would be: a valid, unexpired code on a secure origin.

use alloy::primitives::B256;
use kyc_core::{
    files::{Decline, FormatVersion},
    uri::RegistrationUri,
};
use serde::Serialize;

use crate::{http::ServiceClient, scan::is_secure_origin, Error, Result};

/// What a decline sent and what the service answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeclineReceipt {
    /// The registration declined.
    pub registration_id: B256,
    /// Its six-digit check code.
    pub check_code: String,
    /// The service's origin.
    pub service: String,
    /// When the person declined (Unix seconds).
    pub declined_at: u64,
    /// The service's whole answer.
    pub answer: serde_json::Value,
}

/// The decline of `code` at `declined_at` (Unix seconds), after the checks a consent
/// gets: the callback on the service's origin, the origin https (or this machine), and
/// the code unexpired.
fn build_decline(code: &RegistrationUri, declined_at: u64) -> Result<Decline> {
    code.check()?;
    if !is_secure_origin(&code.service) {
        return Err(Error::InsecureService(code.service.clone()));
    }
    if code.is_expired(declined_at) {
        return Err(Error::CodeExpired {
            expired_at: code.expires_at,
            now: declined_at,
        });
    }
    Ok(Decline {
        version: FormatVersion,
        registration_id: code.registration_id,
        service: code.service.clone(),
        declined_at,
    })
}

/// Declines `code` at `declined_at`: posts the decline to the code's callback, after
/// the checks a consent gets (the callback on the service's origin, the origin https or
/// this machine, the code unexpired).
pub async fn decline(
    client: &ServiceClient,
    code: &RegistrationUri,
    declined_at: u64,
) -> Result<DeclineReceipt> {
    let decline = build_decline(code, declined_at)?;
    let answer = client.decline(&code.callback, &decline).await?;
    Ok(DeclineReceipt {
        registration_id: code.registration_id,
        check_code: code.check_code(),
        service: code.service.clone(),
        declined_at,
        answer,
    })
}
