//! Contract reverts as the registry's custom errors rather than hex.

use crate::KycRegistry::KycRegistryErrors;

/// Decodes a failed call or transaction into the registry's custom error, when it is one.
pub fn decode_revert(error: &alloy::contract::Error) -> Option<KycRegistryErrors> {
    error.as_decoded_interface_error::<KycRegistryErrors>()
}

/// One line that explains a registry revert to a person.
pub fn describe_revert(error: &KycRegistryErrors) -> String {
    use KycRegistryErrors as E;
    match error {
        E::NotCertifier(e) => format!("{} is not a current certifier of this registry", e.account),
        E::CertifierAlreadyAdded(e) => format!("certifier {} is already registered", e.certifier),
        E::EmptyCertifierName(_) => "a certifier needs a name".to_owned(),
        E::ZeroAddress(_) => "the zero address is not an account".to_owned(),
        E::ZeroRoot(_) => "an attestation needs a non-zero root".to_owned(),
        E::UnknownEvidence(e) => format!("evidence bits {:#x} are not defined", e.evidence),
        E::ExpiryInPast(e) => format!("expiry {} is already past", e.expiresAt),
        E::SignatureExpired(e) => format!("the signed request expired at {}", e.deadline),
        E::InvalidSignature(e) => format!(
            "the signature is not {}'s for this request, chain, registry and nonce",
            e.subject
        ),
        E::NotActive(e) => format!("no active attestation of {} by {}", e.subject, e.certifier),
        E::EmptyBatch(_) => "a batch needs at least one request".to_owned(),
        E::OwnableUnauthorizedAccount(e) => {
            format!("{} is not the registry owner", e.account)
        }
        E::OwnableInvalidOwner(e) => format!("{} cannot own the registry", e.owner),
        other => format!("registry refused the call: {other:?}"),
    }
}
