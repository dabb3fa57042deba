//! What a wallet shows the person before it answers a code, as text: who asks for
//! what, how the wallet's credentials fit, and what a consent would send. Every text
//! that comes from a code is made printable (no control or escape characters).

use std::fmt;

use alloy::primitives::Address;
use kyc_core::{
    age::age_threshold, files::Credential, text::printable, time::format_time, uri::RegistrationUri,
};

use crate::{
    consent::{disclosure, ConsentDraft, ConsentReceipt, Disclosure},
    consent_log::{ConsentRecord, Consents},
    credential::CredentialEntry,
    decline::DeclineReceipt,
    scan::{CodeSummary, Scan},
};

/// The question asked before signing: how many fields go to whom.
#[derive(Clone, Copy, Debug)]
pub struct ConfirmScreen<'a> {
    /// The consent about to be signed.
    pub draft: &'a ConsentDraft,
}

impl fmt::Display for ConfirmScreen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.draft.fields.len();
        write!(
            f,
            "Send {count} field{} to {} ({}) and sign? [y/N, or \"decline\" to tell the service no] ",
            if count == 1 { "" } else { "s" },
            printable(&self.draft.code.name),
            printable(&self.draft.code.service)
        )
    }
}

/// What the person answered to a [`ConfirmScreen`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Sign and send (`y`, `Y` or `yes`).
    Consent,
    /// Tell the service no (`decline`).
    Decline,
}

impl Answer {
    /// The answer a typed line gives; `None` (anything else) refuses without sending.
    pub fn parse(line: &str) -> Option<Self> {
        match line.trim() {
            "y" | "Y" | "yes" => Some(Self::Consent),
            "decline" => Some(Self::Decline),
            _ => None,
        }
    }
}

/// What came of a consent: where the submission was written, or the service's
/// outcome with its reasons, for the service named `name`.
#[derive(Clone, Copy, Debug)]
pub struct AnswerScreen<'a> {
    /// The name of the service the code names.
    pub name: &'a str,
    /// The consent given.
    pub receipt: &'a ConsentReceipt,
}

impl fmt::Display for AnswerScreen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let receipt = self.receipt;
        if let Some(out) = &receipt.out {
            return write!(f, "wrote the signed submission to {}", out.display());
        }
        write!(f, "{}: {}", printable(self.name), receipt.outcome)?;
        if receipt.reasons.is_empty() {
            return Ok(());
        }
        write!(f, "\nreasons: {}", printable(&receipt.reasons.join(", ")))
    }
}

/// A decline the service took, with the check code of the code declined.
#[derive(Clone, Copy, Debug)]
pub struct DeclineScreen<'a> {
    /// The code declined.
    pub code: &'a RegistrationUri,
    /// What the service answered.
    pub receipt: &'a DeclineReceipt,
}

impl fmt::Display for DeclineScreen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): declined, check code {}",
            printable(&self.code.name),
            printable(&self.code.service),
            self.receipt.check_code
        )
    }
}

/// Each consent on a line, or that none was given.
impl fmt::Display for Consents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.consents.is_empty() {
            return f.write_str("no consents given");
        }
        for (index, record) in self.consents.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{record}")?;
        }
        Ok(())
    }
}

/// Who asks, the check code, for what and until when, at `now`.
#[derive(Clone, Copy, Debug)]
pub struct CodeScreen<'a> {
    /// The code.
    pub code: &'a CodeSummary,
    /// The time the remaining validity counts from.
    pub now: u64,
}

impl fmt::Display for CodeScreen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code;
        let (name, service) = (printable(&code.name), printable(&code.service));
        writeln!(f, "{name} ({service}) asks to check your identity")?;
        writeln!(
            f,
            "check code       {}   (the service's screen shows the same six digits)",
            code.check_code
        )?;
        writeln!(f, "registration ID  {}", code.registration_id)?;
        writeln!(f, "asks for         {}", printable(&code.fields.join(", ")))?;
        let left = code.expires_at.saturating_sub(self.now);
        writeln!(
            f,
            "until            {} (in {left}s)",
            format_time(code.expires_at)
        )?;
        writeln!(
            f,
            "chain            {} registry {}",
            code.chain_id, code.registry
        )?;
        writeln!(f, "answers go to    {}", printable(&code.callback))
    }
}

/// What a consent would send, values included (for the person's own screen), and what
/// stays undisclosed.
#[derive(Clone, Copy, Debug)]
pub struct DisclosureScreen<'a> {
    /// The certifier of the credential used.
    pub certifier: Address,
    /// Its display name; empty when unknown.
    pub certifier_name: &'a str,
    /// The claims sent and kept back.
    pub disclosure: &'a Disclosure<'a>,
}

impl fmt::Display for DisclosureScreen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = match self.certifier_name {
            "" => String::new(),
            name => format!(" ({})", printable(name)),
        };
        let certifier = self.certifier;
        writeln!(
            f,
            "would send, from the credential of certifier {certifier}{named}:"
        )?;
        for claim in &self.disclosure.sent {
            match age_threshold(&claim.key) {
                Ok(Some(age)) => writeln!(f, "  over {age}: yes")?,
                _ => writeln!(f, "  {}: {}", claim.key, printable(&claim.value))?,
            }
        }
        match self.disclosure.undisclosed.as_slice() {
            [] => writeln!(f, "stays undisclosed: nothing"),
            keys => {
                let keys = keys.join(", ");
                writeln!(f, "stays undisclosed: {keys} (sent as digests only)")
            }
        }
    }
}

/// A scanned code, how each credential fits it, and what the newest fitting one would
/// send.
#[derive(Clone, Copy, Debug)]
pub struct ScanScreen<'a> {
    /// The scan.
    pub scan: &'a Scan,
    /// The newest credential that has every asked field, if any.
    pub fitting: Option<&'a Credential>,
    /// The time the code's remaining validity counts from.
    pub now: u64,
}

impl fmt::Display for ScanScreen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scan, code) = (self.scan, &self.scan.code);
        write!(
            f,
            "{}",
            CodeScreen {
                code,
                now: self.now
            }
        )?;
        for fit in &scan.credentials {
            match fit.missing_fields.as_slice() {
                [] => writeln!(f, "the credential from {} has every field", fit.certifier)?,
                missing => {
                    let missing = missing.join(", ");
                    writeln!(f, "the credential from {} lacks {missing}", fit.certifier)?
                }
            }
        }
        if scan.credentials.is_empty() {
            writeln!(
                f,
                "the wallet cannot answer this code: it holds no credential for chain {} and registry {}",
                code.chain_id, code.registry
            )?;
        } else if !scan.can_answer {
            writeln!(
                f,
                "the wallet cannot answer this code: no credential has every asked field"
            )?;
        }
        if !scan.unavailable_fields.is_empty() {
            let fields = scan.unavailable_fields.join(", ");
            writeln!(f, "cannot provide   {}", printable(&fields))?;
        }
        if let Some(credential) = self.fitting {
            let disclosure = disclosure(credential, &code.fields);
            let certifier = credential.certifier;
            write!(
                f,
                "{}",
                DisclosureScreen {
                    certifier,
                    certifier_name: "",
                    disclosure: &disclosure
                }
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for ConsentRecord {
    /// When, to whom, under which registration, which fields, and what came of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} {} registration {}: {} [{}]",
            format_time(self.signed_at),
            self.name,
            printable(&self.service),
            self.registration_id,
            self.fields.join(", "),
            self.outcome,
        )?;
        match self.withdrawn_at {
            Some(at) => write!(f, ", withdrawn {}", format_time(at)),
            None => Ok(()),
        }
    }
}

impl fmt::Display for CredentialEntry {
    /// The status on chain and the certifier, then the credential's facts, a line each.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indent = "           ";
        writeln!(
            f,
            "{:<10} {} {:?}",
            self.status, self.certifier, self.certifier_name
        )?;
        writeln!(f, "{indent}subject   {}", self.subject)?;
        writeln!(
            f,
            "{indent}chain     {} registry {}",
            self.chain_id, self.registry
        )?;
        writeln!(f, "{indent}root      {}", self.root)?;
        writeln!(f, "{indent}evidence  {}", self.evidence.names().join(", "))?;
        writeln!(f, "{indent}expires   {}", format_time(self.expires_at))?;
        writeln!(f, "{indent}fields    {}", self.fields.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_consents_and_only_decline_declines() {
        for line in ["y\n", "Y", " yes \n"] {
            assert_eq!(Answer::parse(line), Some(Answer::Consent), "{line:?}");
        }
        assert_eq!(Answer::parse("decline\n"), Some(Answer::Decline));
        for line in ["", "\n", "n", "no", "YES", "Decline", "yes please"] {
            assert_eq!(Answer::parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn an_empty_consent_log_says_so() {
        let consents = Consents { consents: vec![] };
        assert_eq!(consents.to_string(), "no consents given");
    }
}
