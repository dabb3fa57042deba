//! Contract errors as one readable line.

/// Turns a failed call into an error that names the registry's custom error when it is one.
pub(crate) fn explain(error: alloy::contract::Error) -> anyhow::Error {
    match kyc_contracts::decode_revert(&error) {
        Some(revert) => anyhow::anyhow!(
            "registry refused: {}",
            kyc_contracts::describe_revert(&revert)
        ),
        None => anyhow::Error::new(error).context("the call to the registry failed"),
    }
}
