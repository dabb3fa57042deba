//! The registration QR code, which also works as a link:
//! `kycanchor://register?v=1&rid=…&svc=…&name=…&cb=…&chain=…&reg=…&f=…&exp=…`.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::{claims::check_key, claims::MAX_CLAIMS, Error, Result};

const PREFIX: &str = "kycanchor://register?";
/// Everything but the RFC 3986 unreserved characters is percent-encoded.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The longest display name, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// The longest service origin a service accepts in an answer, in bytes.
pub const MAX_ORIGIN_LEN: usize = 256;

/// A service's request to register a person: what the QR code holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationUri {
    /// `rid`: the registration ID the consent is bound to.
    pub registration_id: B256,
    /// `svc`: the service's origin, `scheme://host[:port]`.
    pub service: String,
    /// `name`: the service's display name.
    pub name: String,
    /// `cb`: where the wallet sends the submission; on the origin `service`.
    /// [`default_callback`] when the code leaves it out.
    pub callback: String,
    /// `chain`: the chain ID.
    pub chain_id: u64,
    /// `reg`: the registry's address.
    pub registry: Address,
    /// `f`: the requested claim keys.
    pub fields: Vec<String>,
    /// `exp`: the code is void after this time (Unix seconds).
    pub expires_at: u64,
}

impl RegistrationUri {
    /// The URI, every query value percent-encoded; `cb` is left out when it is the
    /// default, so the QR code is smaller.
    pub fn to_uri_string(&self) -> String {
        let callback = (self.callback != default_callback(&self.service, self.registration_id))
            .then(|| ("cb", self.callback.clone()));
        let params = [
            Some(("v", "1".to_owned())),
            Some(("rid", self.registration_id.to_string())),
            Some(("svc", self.service.clone())),
            Some(("name", self.name.clone())),
            callback,
            Some(("chain", self.chain_id.to_string())),
            Some(("reg", self.registry.to_string())),
            Some(("f", self.fields.join(","))),
            Some(("exp", self.expires_at.to_string())),
        ];
        let query: Vec<String> = params
            .iter()
            .flatten()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, ENCODED)))
            .collect();
        format!("{PREFIX}{}", query.join("&"))
    }

    /// Parses and checks a URI, refusing missing, repeated or unknown parameters.
    pub fn parse(text: &str) -> Result<Self> {
        let query = text
            .strip_prefix(PREFIX)
            .ok_or(Error::Uri("must start with kycanchor://register?"))?;
        if query.contains('#') {
            return Err(Error::Uri("must not have a fragment"));
        }
        let mut params = BTreeMap::new();
        for pair in query.split('&') {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| param_error(pair, "has no value"))?;
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| param_error(name, "is not UTF-8 once percent-decoded"))?;
            if params.insert(name, value.into_owned()).is_some() {
                return Err(param_error(name, "appears twice"));
            }
        }
        let mut take = |name| {
            params
                .remove(name)
                .ok_or_else(|| param_error(name, "is missing"))
        };
        if take("v")? != "1" {
            return Err(param_error("v", "must be 1"));
        }
        let fields = take("f")?;
        let registration_id =
            crate::hex::parse(&take("rid")?).map_err(|e| param_error("rid", e))?;
        let service = take("svc")?;
        let name = take("name")?;
        let callback = take("cb").unwrap_or_else(|_| default_callback(&service, registration_id));
        let uri = Self {
            registration_id,
            service,
            name,
            callback,
            chain_id: parse_decimal("chain", &take("chain")?)?,
            registry: crate::hex::parse(&take("reg")?).map_err(|e| param_error("reg", e))?,
            fields: if fields.is_empty() {
                Vec::new()
            } else {
                fields.split(',').map(str::to_owned).collect()
            },
            expires_at: parse_decimal("exp", &take("exp")?)?,
        };
        if let Some(unknown) = params.keys().next() {
            return Err(param_error(unknown, "is unknown"));
        }
        uri.check()?;
        Ok(uri)
    }

    /// Checks the rules [`parse`](Self::parse) applies beyond syntax: `svc` a bare
    /// origin, `cb` on it, a displayable `name`, valid distinct `fields`.
    pub fn check(&self) -> Result<()> {
        if !is_bare_origin(&self.service) {
            return Err(param_error(
                "svc",
                "is not a bare origin scheme://host[:port] (http or https, lower case)",
            ));
        }
        let callback_origin =
            Url::parse(&self.callback).map(|url| url.origin().ascii_serialization());
        if callback_origin.as_deref() != Ok(self.service.as_str()) {
            return Err(param_error("cb", "is not a URL on the origin svc"));
        }
        // Bidirectional formatting characters could make the name display as another.
        let hidden = |c: char| {
            c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        };
        if self.name.is_empty() || self.name.len() > MAX_NAME_LEN || self.name.chars().any(hidden) {
            return Err(param_error(
                "name",
                "must be 1 to 128 bytes without control characters",
            ));
        }
        if self.fields.len() > MAX_CLAIMS {
            return Err(param_error("f", "asks for more than 64 fields"));
        }
        for (index, field) in self.fields.iter().enumerate() {
            check_key(field)?;
            if self.fields[..index].contains(field) {
                return Err(Error::DuplicateKey(field.clone()));
            }
        }
        Ok(())
    }

    /// The six-digit check code of the registration ID, such as `024 566`.
    pub fn check_code(&self) -> String {
        crate::check_code::check_code(&self.registration_id)
    }

    /// Whether the code is void at `now` (Unix seconds): after `expires_at`.
    pub fn is_expired(&self, now: u64) -> bool {
        now > self.expires_at
    }
}

/// The callback a code stands for when it leaves `cb` out:
/// `{service}/v1/sessions/{registration_id}/submission`.
pub fn default_callback(service: &str, registration_id: B256) -> String {
    format!("{service}/v1/sessions/{registration_id}/submission")
}

/// Whether `text` is an http or https origin exactly as browsers serialise it:
/// `scheme://host[:port]`, lower-case host (IDNs in punycode), no default port,
/// no user, path, query or fragment.
pub fn is_bare_origin(text: &str) -> bool {
    Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.origin().ascii_serialization() == text
    })
}

fn param_error(param: &str, reason: &'static str) -> Error {
    Error::UriParam {
        param: param.to_owned(),
        reason,
    }
}

/// A decimal `u64` without sign, spaces or leading zeros.
fn parse_decimal(param: &str, text: &str) -> Result<u64> {
    text.parse::<u64>()
        .ok()
        .filter(|number| number.to_string() == text)
        .ok_or_else(|| param_error(param, "is not a decimal number"))
}
