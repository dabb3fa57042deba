//! Reading a service's registration code, from its URI or a photo of its QR code,
//! refusing codes the wallet must not answer, and telling whether the wallet can.

use std::{io::Cursor, path::Path};

use std::net::IpAddr;

use alloy::primitives::{Address, B256};
use image::{GrayImage, ImageReader, Limits};
use kyc_core::{files::Credential, uri::RegistrationUri};
use serde::Serialize;

use crate::{folder::io_error, Error, Result};

/// The largest image side read, in pixels; larger images are refused before decoding.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// The standard deviation, in pixels, of the blur that softens a code's edges.
const SOFTENING: f32 = 1.5;

/// Decodes the one QR code in a PNG or JPEG image and returns its text. A code that
/// does not decode is tried again in the image slightly blurred: the decoder misreads
/// a few codes with pixel-sharp edges (about one in 20,000 drawn by `kyc service`)
/// that it reads once their edges are soft, as in a photo.
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
    match decode_one(image.clone()) {
        Err(Error::NoQrCode(reason)) => decode_one(image::imageops::blur(&image, SOFTENING))
            .map_err(|_| Error::NoQrCode(reason)),
        decoded => decoded,
    }
}

/// The text of the one QR code in `image`.
fn decode_one(image: GrayImage) -> Result<String> {
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

/// Reads the PNG or JPEG image at `path` and decodes its one QR code, as
/// [`decode_qr_image`] does.
pub fn read_qr_image(path: &Path) -> Result<String> {
    decode_qr_image(&std::fs::read(path).map_err(io_error("cannot read", path))?)
}

/// Parses a registration URI and refuses it when malformed (including a callback on
/// another origin than `svc`), when its service is plain `http://` on another host than
/// this machine, or when expired at `now` (Unix seconds).
pub fn read_code(text: &str, now: u64) -> Result<RegistrationUri> {
    let code = RegistrationUri::parse(text.trim())?;
    if !is_secure_origin(&code.service) {
        return Err(Error::InsecureService(code.service));
    }
    if code.is_expired(now) {
        return Err(Error::CodeExpired {
            expired_at: code.expires_at,
            now,
        });
    }
    Ok(code)
}

/// Whether a service's origin keeps what is sent to it private on the way: `https`, or
/// `http` to this machine (a loopback address or `localhost`), as for development.
pub fn is_secure_origin(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(url::Host::Domain(domain))) => domain == "localhost",
        ("http", Some(url::Host::Ipv4(ip))) => IpAddr::V4(ip).is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

/// What a registration code asks, as a wallet shows it: who, for what, until when, and
/// the check code to compare with the service's screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeSummary {
    /// The service's display name.
    pub name: String,
    /// The service's origin.
    pub service: String,
    /// The six-digit check code of the registration ID, such as `024 566`.
    pub check_code: String,
    /// The whole registration ID.
    pub registration_id: B256,
    /// The fields asked for.
    pub fields: Vec<String>,
    /// When the code expires (Unix seconds).
    pub expires_at: u64,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub registry: Address,
    /// Where the submission goes.
    pub callback: String,
}

impl CodeSummary {
    /// The summary of a code.
    pub fn of(code: &RegistrationUri) -> Self {
        Self {
            name: code.name.clone(),
            service: code.service.clone(),
            check_code: code.check_code(),
            registration_id: code.registration_id,
            fields: code.fields.clone(),
            expires_at: code.expires_at,
            chain_id: code.chain_id,
            registry: code.registry,
            callback: code.callback.clone(),
        }
    }
}

/// A code and how each of the wallet's credentials for it can answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// The code.
    #[serde(flatten)]
    pub code: CodeSummary,
    /// The wallet's credentials for the code's chain and registry, oldest first; none
    /// when the wallet holds no credential for them.
    pub credentials: Vec<CredentialFit>,
    /// Whether one of those credentials has every asked field (read offline: whether it
    /// is live on chain is checked at consent).
    pub can_answer: bool,
    /// The asked fields none of those credentials has: all of them when there is none.
    pub unavailable_fields: Vec<String>,
}

/// How one credential fits a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CredentialFit {
    /// The credential's certifier.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub certifier: Address,
    /// The credential's root.
    pub root: B256,
    /// The asked fields the credential has no claim for.
    pub missing_fields: Vec<String>,
}

/// Reads what `code` asks and how the wallet's `credentials` can answer it, also when
/// the wallet holds no credential for the code's chain and registry (it then cannot).
pub fn scan(code: &RegistrationUri, credentials: &[Credential]) -> Scan {
    let matching: Vec<&Credential> = credentials
        .iter()
        .filter(|credential| is_for(code, credential))
        .collect();
    let unavailable_fields = code
        .fields
        .iter()
        .filter(|field| {
            !matching
                .iter()
                .any(|credential| has_claim(credential, field))
        })
        .cloned()
        .collect();
    let credentials: Vec<CredentialFit> = matching
        .into_iter()
        .map(|credential| CredentialFit {
            certifier: credential.certifier,
            root: credential.root,
            missing_fields: missing_fields(code, credential),
        })
        .collect();
    Scan {
        code: CodeSummary::of(code),
        can_answer: credentials.iter().any(|fit| fit.missing_fields.is_empty()),
        credentials,
        unavailable_fields,
    }
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
        .filter(|credential| is_for(code, credential))
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

/// The newest of the credentials that is for the code's chain and registry and has every
/// field it asks for: the one a consent offers first, if it is live.
pub fn newest_fitting<'a>(
    code: &RegistrationUri,
    credentials: &'a [Credential],
) -> Option<&'a Credential> {
    credentials
        .iter()
        .filter(|credential| {
            is_for(code, credential) && missing_fields(code, credential).is_empty()
        })
        .max_by_key(|credential| credential.issued_at)
}

/// Whether the credential is for the code's chain and registry.
fn is_for(code: &RegistrationUri, credential: &Credential) -> bool {
    credential.chain_id == code.chain_id && credential.registry == code.registry
}

/// The fields the code asks for that the credential has no claim for.
pub fn missing_fields(code: &RegistrationUri, credential: &Credential) -> Vec<String> {
    code.fields
        .iter()
        .filter(|field| !has_claim(credential, field))
        .cloned()
        .collect()
}

fn has_claim(credential: &Credential, field: &str) -> bool {
    credential.claims.iter().any(|claim| claim.key == field)
}
