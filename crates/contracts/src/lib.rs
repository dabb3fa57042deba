#![doc = include_str!("../README.md")]

mod revert;

pub use bindings::{IKycRegistry, KycRegistry, VerifiedTicket};
pub use revert::{decode_revert, describe_revert};

/// Generated code; the contract's NatSpec in `contracts/src/IKycRegistry.sol` documents it.
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    alloy::sol!(
        /// The KYC Anchor registry: salted identity commitments per (subject, certifier).
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        KycRegistry,
        "artifacts/KycRegistry.json"
    );

    alloy::sol!(
        /// The example service: tickets sold and transferable only to verified holders.
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        VerifiedTicket,
        "artifacts/VerifiedTicket.json"
    );
}

/// The attestation status as the contract stores it (`IKycRegistry.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing was ever attested for the pair.
    None,
    /// Attested and neither revoked nor withdrawn.
    Active,
    /// The certifier revoked it.
    Revoked,
    /// The subject withdrew it.
    Withdrawn,
}

impl Status {
    /// Reads the ABI value of the contract's `Status` enum; unknown values are `None`.
    pub fn from_abi(value: u8) -> Self {
        match value {
            1 => Self::Active,
            2 => Self::Revoked,
            3 => Self::Withdrawn,
            _ => Self::None,
        }
    }

    /// The lower-case name used in files and command output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
