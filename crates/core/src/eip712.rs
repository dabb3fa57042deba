//! The protocol's EIP-712 messages and the registry's domain.

use alloy_primitives::{Address, B256};
use alloy_sol_types::{eip712_domain, sol, Eip712Domain, SolStruct};
use serde::{Deserialize, Serialize};

sol! {
    /// A subject asks a certifier to record `root` against the subject's address.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct AttestRequest {
        /// The person asking.
        address subject;
        /// The certifier that may record the root.
        address certifier;
        /// The Merkle root of the person's salted claims.
        bytes32 root;
        /// The registry's current `nonces(subject, certifier)`.
        uint64 nonce;
        /// The signature is void after this time (Unix seconds).
        uint64 deadline;
    }

    /// A subject withdraws a certifier's attestation; anyone may relay it.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct Withdraw {
        /// The person withdrawing.
        address subject;
        /// The certifier whose attestation is withdrawn.
        address certifier;
        /// The registry's current `nonces(subject, certifier)`.
        uint64 nonce;
        /// The signature is void after this time (Unix seconds).
        uint64 deadline;
    }

    /// A subject consents to disclose `fields` to a service for one registration.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct Consent {
        /// The person consenting.
        address subject;
        /// The registration ID from the service's QR code.
        bytes32 registrationId;
        /// The service's origin, exactly as in the QR code.
        string service;
        /// The certifier whose attestation backs the claims.
        address certifier;
        /// The attested Merkle root.
        bytes32 root;
        /// The disclosed keys, in leaf order.
        string[] fields;
        /// When the person signed (Unix seconds).
        uint64 signedAt;
    }

    /// A subject asks a service to delete what it received under a registration.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct ConsentWithdrawal {
        /// The person asking.
        address subject;
        /// The registration the service should forget.
        bytes32 registrationId;
        /// The service's origin.
        string service;
        /// When the person signed (Unix seconds).
        uint64 signedAt;
    }
}

/// The domain: name "KYC Anchor", version "1", the chain and the registry's address.
pub fn domain(chain_id: u64, registry: Address) -> Eip712Domain {
    eip712_domain! {
        name: "KYC Anchor",
        version: "1",
        chain_id: chain_id,
        verifying_contract: registry,
    }
}

/// The digest a signer signs for `message` on a chain's registry.
pub fn signing_hash<T: SolStruct>(message: &T, chain_id: u64, registry: Address) -> B256 {
    message.eip712_signing_hash(&domain(chain_id, registry))
}
