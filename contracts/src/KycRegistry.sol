// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IKycRegistry} from "./IKycRegistry.sol";

/// @title KYC Anchor registry
/// @notice See {IKycRegistry}. Each (subject, certifier) pair takes two storage slots: the root,
/// and the metadata packed with the nonce, so a first attestation writes two fresh slots.
contract KycRegistry is IKycRegistry, Ownable2Step, EIP712 {
    /// @dev One storage record per (subject, certifier); everything but the root shares a slot.
    struct Record {
        bytes32 root;
        uint64 issuedAt;
        uint64 expiresAt;
        uint64 nonce;
        uint16 evidence;
        Status status;
    }

    /// @notice keccak256("AttestRequest(address subject,address certifier,bytes32 root,uint64 nonce,uint64 deadline)")
    bytes32 public constant ATTEST_REQUEST_TYPEHASH =
        keccak256("AttestRequest(address subject,address certifier,bytes32 root,uint64 nonce,uint64 deadline)");

    /// @notice keccak256("Withdraw(address subject,address certifier,uint64 nonce,uint64 deadline)")
    bytes32 public constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(address subject,address certifier,uint64 nonce,uint64 deadline)");

    /// @notice Every evidence bit the registry defines (document | face | address | phone | email | in_person).
    uint16 public constant ALL_EVIDENCE = 63;

    /// @dev ERC-6492 wraps signatures of undeployed wallets with this suffix; they are refused.
    bytes32 private constant ERC6492_MAGIC = 0x6492649264926492649264926492649264926492649264926492649264926492;

    mapping(address subject => mapping(address certifier => Record)) private _records;
    /// @dev A certifier is current exactly when it has a name.
    mapping(address certifier => string) private _certifierNames;

    modifier onlyCertifier() {
        if (!isCertifier(msg.sender)) revert NotCertifier(msg.sender);
        _;
    }

    /// @param initialOwner The governance account that adds and removes certifiers.
    constructor(address initialOwner) Ownable(initialOwner) EIP712("KYC Anchor", "1") {}

    /// @inheritdoc IKycRegistry
    function addCertifier(address certifier, string calldata name) external onlyOwner {
        if (certifier == address(0)) revert ZeroAddress();
        if (bytes(name).length == 0) revert EmptyCertifierName();
        if (isCertifier(certifier)) revert CertifierAlreadyAdded(certifier);
        _certifierNames[certifier] = name;
        emit CertifierAdded(certifier, name);
    }

    /// @inheritdoc IKycRegistry
    function removeCertifier(address certifier) external onlyOwner {
        if (!isCertifier(certifier)) revert NotCertifier(certifier);
        delete _certifierNames[certifier];
        emit CertifierRemoved(certifier);
    }

    /// @inheritdoc IKycRegistry
    function attest(
        address subject,
        bytes32 root,
        uint16 evidence,
        uint64 expiresAt,
        uint64 deadline,
        bytes calldata signature
    ) external onlyCertifier {
        _attest(subject, root, evidence, expiresAt, deadline, signature);
    }

    /// @inheritdoc IKycRegistry
    function attestBatch(AttestInput[] calldata inputs) external onlyCertifier {
        if (inputs.length == 0) revert EmptyBatch();
        for (uint256 i; i < inputs.length; ++i) {
            AttestInput calldata input = inputs[i];
            _attest(input.subject, input.root, input.evidence, input.expiresAt, input.deadline, input.signature);
        }
    }

    /// @inheritdoc IKycRegistry
    function revoke(address subject, string calldata reason) external {
        Record storage record = _records[subject][msg.sender];
        if (record.status != Status.Active) revert NotActive(subject, msg.sender);
        record.status = Status.Revoked;
        emit Revoked(subject, msg.sender, reason);
    }

    /// @inheritdoc IKycRegistry
    function withdraw(address certifier) external {
        _withdraw(msg.sender, certifier);
    }

    /// @inheritdoc IKycRegistry
    function withdrawBySig(address subject, address certifier, uint64 deadline, bytes calldata signature) external {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        uint64 nonce = _records[subject][certifier].nonce;
        _checkSignature(
            subject, keccak256(abi.encode(WITHDRAW_TYPEHASH, subject, certifier, nonce, deadline)), signature
        );
        _withdraw(subject, certifier);
    }

    /// @inheritdoc IKycRegistry
    function attestation(address subject, address certifier) external view returns (Attestation memory) {
        Record storage record = _records[subject][certifier];
        return Attestation(record.root, record.issuedAt, record.expiresAt, record.evidence, record.status);
    }

    /// @inheritdoc IKycRegistry
    function nonces(address subject, address certifier) external view returns (uint64) {
        return _records[subject][certifier].nonce;
    }

    /// @inheritdoc IKycRegistry
    function certifierName(address certifier) external view returns (string memory) {
        return _certifierNames[certifier];
    }

    /// @inheritdoc IKycRegistry
    function isVerified(address subject, address certifier, uint16 requiredEvidence) external view returns (bool) {
        Record storage record = _records[subject][certifier];
        return record.status == Status.Active && block.timestamp < record.expiresAt
            && record.evidence & requiredEvidence == requiredEvidence && isCertifier(certifier);
    }

    /// @notice The EIP-712 domain separator of this registry on this chain.
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IKycRegistry
    function isCertifier(address certifier) public view returns (bool) {
        return bytes(_certifierNames[certifier]).length != 0;
    }

    function _attest(
        address subject,
        bytes32 root,
        uint16 evidence,
        uint64 expiresAt,
        uint64 deadline,
        bytes calldata signature
    ) private {
        if (subject == address(0)) revert ZeroAddress();
        if (root == bytes32(0)) revert ZeroRoot();
        if (evidence & ~ALL_EVIDENCE != 0) revert UnknownEvidence(evidence);
        if (expiresAt <= block.timestamp) revert ExpiryInPast(expiresAt);
        if (block.timestamp > deadline) revert SignatureExpired(deadline);

        Record storage record = _records[subject][msg.sender];
        uint64 nonce = record.nonce;
        _checkSignature(
            subject,
            keccak256(abi.encode(ATTEST_REQUEST_TYPEHASH, subject, msg.sender, root, nonce, deadline)),
            signature
        );
        _records[subject][msg.sender] =
            Record(root, uint64(block.timestamp), expiresAt, nonce + 1, evidence, Status.Active);
        emit Attested(subject, msg.sender, root, evidence, expiresAt);
    }

    /// @dev Uses up the pair's nonce, so no request signed before the withdrawal can revive the attestation.
    function _withdraw(address subject, address certifier) private {
        Record storage record = _records[subject][certifier];
        if (record.status != Status.Active) revert NotActive(subject, certifier);
        record.status = Status.Withdrawn;
        ++record.nonce;
        emit Withdrawn(subject, certifier);
    }

    /// @dev Reverts unless `signature` is the subject's over the struct: 65 bytes of ECDSA by the subject's
    /// key with low `s` and `v` in {27, 28}, or else, for a subject with code, ERC-1271; ERC-6492 wrappers
    /// refused. The key is tried first so an EOA subject costs no EXTCODESIZE of a cold account (2,600 gas);
    /// no contract address has a key, and an EIP-7702 account's key controls it anyway.
    function _checkSignature(address subject, bytes32 structHash, bytes calldata signature) private view {
        bytes32 digest = _hashTypedDataV4(structHash);
        if (signature.length == 65) {
            (address signer, ECDSA.RecoverError err,) =
                ECDSA.tryRecover(digest, uint8(signature[64]), bytes32(signature[0:32]), bytes32(signature[32:64]));
            if (err == ECDSA.RecoverError.NoError && signer == subject) return;
        }
        bool wrapped = signature.length >= 32 && bytes32(signature[signature.length - 32:]) == ERC6492_MAGIC;
        if (
            wrapped || subject.code.length == 0
                || !SignatureChecker.isValidERC1271SignatureNow(subject, digest, signature)
        ) {
            revert InvalidSignature(subject);
        }
    }
}
