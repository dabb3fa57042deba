//! The consent log: every consent the person gave, to whom, for which fields, when, and
//! what came of it. Kept as JSON in the wallet folder; it records keys, never values.

use std::{fs, path::PathBuf};

use alloy::primitives::{Address, B256};
use kyc_core::{
    files::{parse_json, FormatVersion},
    uri::default_callback,
};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{folder::io_error, Error, Result};

kyc_core::coded_enum! {
    /// What came of a consent.
    pub enum ConsentOutcome {
        /// The service verified the submission.
        Approved = "approved",
        /// The service will look at it by hand.
        Review = "review",
        /// The service refused it, with reasons.
        Rejected = "rejected",
        /// The submission was written to a file rather than sent.
        Written = "written",
        /// The service could not be reached or gave no verdict.
        Undelivered = "undelivered",
    }
}

impl ConsentOutcome {
    /// The service's verdict named by `code`; `None` for anything else.
    pub fn from_verdict(code: &str) -> Option<Self> {
        code.parse()
            .ok()
            .filter(|outcome| matches!(outcome, Self::Approved | Self::Review | Self::Rejected))
    }
}

/// One consent given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// The registration ID the consent is bound to.
    #[serde(with = "kyc_core::hex")]
    pub registration_id: B256,
    /// The service's origin.
    pub service: String,
    /// The service's display name.
    pub name: String,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "kyc_core::hex")]
    pub registry: Address,
    /// The certifier whose credential was used.
    #[serde(with = "kyc_core::hex")]
    pub certifier: Address,
    /// The disclosed keys, in leaf order.
    pub fields: Vec<String>,
    /// When the consent was signed.
    pub signed_at: u64,
    /// What came of it.
    pub outcome: ConsentOutcome,
    /// The service's reasons.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// When the person withdrew the consent, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<u64>,
    /// Where the code said to send answers; absent from records kept before it was
    /// logged, whose codes used the default callback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
}

impl ConsentRecord {
    /// Where a withdrawal of this consent goes: `withdrawal` beside the callback the
    /// service gave (a reference resolved against it, so `…/submission` becomes
    /// `…/withdrawal`), on the service's origin.
    pub fn withdrawal_url(&self) -> Result<String> {
        let callback = self
            .callback
            .clone()
            .unwrap_or_else(|| default_callback(&self.service, self.registration_id));
        Url::parse(&callback)
            .and_then(|url| url.join("withdrawal"))
            .map(String::from)
            .map_err(|error| Error::Http {
                reason: format!("the consent's callback is not a URL: {error}"),
                url: callback,
            })
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    version: FormatVersion,
    consents: Vec<ConsentRecord>,
}

/// The consents given, oldest first, as `kyc user consents` lists them.
#[derive(Clone, Debug, Serialize)]
pub struct Consents {
    /// Every consent.
    pub consents: Vec<ConsentRecord>,
}

/// The log file of a wallet.
#[derive(Clone, Debug)]
pub struct ConsentLog {
    path: PathBuf,
}

impl ConsentLog {
    /// The log at `path`; the file is created on the first consent.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Every consent, oldest first.
    pub fn records(&self) -> Result<Vec<ConsentRecord>> {
        Ok(self.load()?.consents)
    }

    /// Every consent, oldest first, as one list.
    pub fn consents(&self) -> Result<Consents> {
        Ok(Consents {
            consents: self.records()?,
        })
    }

    /// Adds a consent.
    pub fn append(&self, record: ConsentRecord) -> Result<()> {
        let mut log = self.load()?;
        log.consents.push(record);
        self.store(&log)
    }

    /// The latest consent given for a registration.
    pub fn find(&self, registration_id: B256) -> Result<ConsentRecord> {
        self.records()?
            .into_iter()
            .rev()
            .find(|record| record.registration_id == registration_id)
            .ok_or(Error::UnknownConsent(registration_id))
    }

    /// Marks every consent for a registration as withdrawn at `at`.
    pub fn mark_withdrawn(&self, registration_id: B256, at: u64) -> Result<()> {
        let mut log = self.load()?;
        let mut found = false;
        for record in &mut log.consents {
            if record.registration_id == registration_id {
                record.withdrawn_at = Some(at);
                found = true;
            }
        }
        if !found {
            return Err(Error::UnknownConsent(registration_id));
        }
        self.store(&log)
    }

    fn load(&self) -> Result<LogFile> {
        if !self.path.exists() {
            return Ok(LogFile::default());
        }
        let text = fs::read_to_string(&self.path).map_err(io_error("cannot read", &self.path))?;
        parse_json(&text).map_err(|e| Error::BadWalletFile {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    fn store(&self, log: &LogFile) -> Result<()> {
        let text = serde_json::to_string_pretty(log).map_err(|e| Error::BadWalletFile {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        Ok(kyc_fs::write_private(&self.path, text.as_bytes())?)
    }
}
