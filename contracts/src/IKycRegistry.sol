// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title KYC Anchor registry
/// @notice Records, per (subject, certifier), a salted Merkle commitment to a person's identity
/// claims. No personal data is ever stored: only the root, times, an evidence bit set and a status.
interface IKycRegistry {
    /// @notice Life cycle of an attestation.
    enum Status {
        None,
        Active,
        Revoked,
        Withdrawn
    }

    /// @notice What the registry holds for one (subject, certifier) pair.
    /// @param root The Merkle root of the subject's salted claims.
    /// @param issuedAt When the attestation was recorded.
    /// @param expiresAt When the attestation stops counting.
    /// @param evidence Evidence bits: document 1, face 2, address 4, phone 8, email 16, in_person 32.
    /// @param status The attestation's status.
    struct Attestation {
        bytes32 root;
        uint64 issuedAt;
        uint64 expiresAt;
        uint16 evidence;
        Status status;
    }

    /// @notice One entry of {attestBatch}.
    struct AttestInput {
        address subject;
        bytes32 root;
        uint16 evidence;
        uint64 expiresAt;
        uint64 deadline;
        bytes signature;
    }

    /// @notice A certifier recorded `root` for `subject`.
    event Attested(address indexed subject, address indexed certifier, bytes32 root, uint16 evidence, uint64 expiresAt);
    /// @notice A certifier revoked its attestation of `subject`.
    event Revoked(address indexed subject, address indexed certifier, string reason);
    /// @notice `subject` withdrew its attestation by `certifier`.
    event Withdrawn(address indexed subject, address indexed certifier);
    /// @notice The owner added a certifier.
    event CertifierAdded(address indexed certifier, string name);
    /// @notice The owner removed a certifier; its attestations stop counting.
    event CertifierRemoved(address indexed certifier);

    /// @notice The caller is not a current certifier.
    error NotCertifier(address account);
    /// @notice The certifier is already registered.
    error CertifierAlreadyAdded(address certifier);
    /// @notice A certifier needs a display name.
    error EmptyCertifierName();
    /// @notice The zero address was given where an account is needed.
    error ZeroAddress();
    /// @notice An attestation needs a non-zero root.
    error ZeroRoot();
    /// @notice The evidence holds bits this registry does not define.
    error UnknownEvidence(uint16 evidence);
    /// @notice The attestation would already be expired.
    error ExpiryInPast(uint64 expiresAt);
    /// @notice The signed request is past its deadline.
    error SignatureExpired(uint64 deadline);
    /// @notice The signature is not the subject's for this request, chain, registry and nonce.
    error InvalidSignature(address subject);
    /// @notice There is no active attestation for the pair.
    error NotActive(address subject, address certifier);
    /// @notice A batch needs at least one entry.
    error EmptyBatch();

    /// @notice Adds a certifier. Owner only.
    function addCertifier(address certifier, string calldata name) external;

    /// @notice Removes a certifier; its attestations stop counting. Owner only.
    function removeCertifier(address certifier) external;

    /// @notice Records `root` for `subject`, replacing any earlier attestation by the caller.
    /// @dev The subject must have signed an EIP-712 `AttestRequest` with the current nonce of
    /// (subject, caller); an ERC-1271 wallet is asked through `isValidSignature`.
    function attest(
        address subject,
        bytes32 root,
        uint16 evidence,
        uint64 expiresAt,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice {attest} for many subjects in one transaction; all or nothing.
    function attestBatch(AttestInput[] calldata inputs) external;

    /// @notice Revokes the caller's active attestation of `subject`.
    function revoke(address subject, string calldata reason) external;

    /// @notice Withdraws the caller's active attestation by `certifier`. Uses up the pair's nonce, as
    /// `withdrawBySig` does, so no request signed before it can revive the attestation.
    function withdraw(address certifier) external;

    /// @notice Withdraws for `subject`, who signed an EIP-712 `Withdraw`; anyone may relay it. Uses up the
    /// pair's nonce.
    function withdrawBySig(address subject, address certifier, uint64 deadline, bytes calldata signature) external;

    /// @notice The attestation of `subject` by `certifier`.
    function attestation(address subject, address certifier) external view returns (Attestation memory);

    /// @notice The nonce the next `AttestRequest` or `Withdraw` of the pair must carry.
    function nonces(address subject, address certifier) external view returns (uint64);

    /// @notice Whether `certifier` is a current certifier.
    function isCertifier(address certifier) external view returns (bool);

    /// @notice The display name of a current certifier; empty for others.
    function certifierName(address certifier) external view returns (string memory);

    /// @notice True when the attestation is active, unexpired, from a current certifier and
    /// carries every bit of `requiredEvidence`.
    function isVerified(address subject, address certifier, uint16 requiredEvidence) external view returns (bool);
}
