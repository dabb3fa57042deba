//! The crate's error type.

/// Everything that can go wrong in starting a devnet or playing the demo.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The port asked for anvil is taken.
    #[error("port {port} is in use")]
    PortInUse {
        /// The port.
        port: u16,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// anvil did not start.
    #[error("cannot start anvil (run scripts/setup, or put anvil on PATH, or set KYC_ANVIL)")]
    Anvil(#[from] alloy::node_bindings::NodeError),
    /// The registry could not be deployed.
    #[error("cannot deploy the registry")]
    Deploy(#[source] kyc_certifier::Error),
    /// The demo certifier could not be added.
    #[error("cannot add the demo certifier")]
    AddCertifier(#[source] kyc_certifier::Error),
    /// The certification body's side failed.
    #[error(transparent)]
    Certifier(#[from] kyc_certifier::Error),
    /// The person's wallet failed.
    #[error(transparent)]
    Wallet(#[from] kyc_wallet::Error),
    /// The bank's verifier failed.
    #[error(transparent)]
    Verifier(#[from] kyc_verifier::Error),
    /// A protocol rule was broken.
    #[error(transparent)]
    Core(#[from] kyc_core::Error),
    /// The ticket shop's contract could not be deployed or called.
    #[error("the ticket shop: {0}")]
    Shop(String),
    /// The demo's scratch folder could not be made.
    #[error("cannot create a scratch folder: {0}")]
    Scratch(#[source] std::io::Error),
    /// A step did not behave as its line says.
    #[error("{0}")]
    Misbehaved(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
