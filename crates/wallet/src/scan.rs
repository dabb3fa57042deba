//! Reading a service's registration code, from its URI or a photo of its QR code, and
//! refusing codes the wallet must not answer.

use std::io::Cursor;

use alloy::primitives::Address;
use image::{ImageReader, Limits};
use kyc_core::{files::Credential, uri::RegistrationUri};

use crate::{Error, Result};

/// The largest image side read, in pixels; larger images are refused before decoding.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Decodes the one QR code in a PNG or JPEG image and returns its text.
pub fn decode_qr_image(bytes: &[u8]) -> Result<String> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Image(e.to_string()))?;
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| Error::Image(e.to_string()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    match grids.as_slice() {
        [] => Err(Error::NoQrCode(String::new())),
        [grid] => grid
            .decode()
            .map(|(_, text)| text)
            .map_err(|e| Error::NoQrCode(format!(": {e}"))),
        more => Err(Error::NoQrCode(format!(
            ": it shows {} codes, crop it to one",
            more.len()
        ))),
    }
}

/// Parses a registration URI and refuses it when malformed (including a callback on
/// another origin than `svc`) or expired at `now` (Unix seconds).
pub fn read_code(text: &str, now: u64) -> Result<RegistrationUri> {
    let code = RegistrationUri::parse(text.trim())?;
    if code.is_expired(now) {
        return Err(Error::CodeExpired {
            expired_at: code.expires_at,
            now,
        });
    }
    Ok(code)
}

/// The credentials for the code's chain and registry (of `subject`, when given);
/// refuses a code for a chain or registry the wallet holds no credential for.
pub fn credentials_for<'a>(
    code: &RegistrationUri,
    credentials: &'a [Credential],
    subject: Option<Address>,
) -> Result<Vec<&'a Credential>> {
    let mine = credentials
        .iter()
        .filter(|credential| subject.is_none_or(|subject| credential.subject == subject));
    let matching: Vec<&Credential> = mine
        .clone()
        .filter(|credential| {
            credential.chain_id == code.chain_id && credential.registry == code.registry
        })
        .collect();
    if matching.is_empty() {
        let mut held: Vec<(u64, Address)> = mine
            .map(|credential| (credential.chain_id, credential.registry))
            .collect();
        held.sort();
        held.dedup();
        return Err(Error::NoCredentialFor {
            chain_id: code.chain_id,
            registry: code.registry,
            subject,
            held,
        });
    }
    Ok(matching)
}

/// The fields the code asks for that the credential has no claim for.
pub fn missing_fields(code: &RegistrationUri, credential: &Credential) -> Vec<String> {
    code.fields
        .iter()
        .filter(|field| !credential.claims.iter().any(|claim| &&claim.key == field))
        .cloned()
        .collect()
}
