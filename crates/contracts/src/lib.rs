#![doc = include_str!("../README.md")]

mod revert;

pub use bindings::{BatchReader, IKycRegistry, KycRegistry, VerifiedTicket};
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

    alloy::sol!(
        /// Many views read at one block in one `eth_call` of this creation code (never deployed).
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        BatchReader,
        "artifacts/BatchReader.json"
    );
}
