// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IKycRegistry} from "../../src/IKycRegistry.sol";
import {KycRegistry} from "../../src/KycRegistry.sol";
import {Test} from "./Test.sol";

/// @notice Deploys a registry and signs its EIP-712 requests the way a wallet does.
/// @dev The domain separator is computed here from the EIP-712 rules, never read from the registry, so the
/// registry's own domain is under test. The struct type hashes are the registry's constants, which
/// `test_TypeHashes` pins to the SPEC's type strings.
abstract contract KycRegistryBase is Test {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    string internal constant DOMAIN_NAME = "KYC Anchor";
    string internal constant DOMAIN_VERSION = "1";

    uint16 internal constant DOCUMENT = 1;
    uint16 internal constant FACE = 2;
    uint16 internal constant PROOF_OF_ADDRESS = 4;
    uint16 internal constant PHONE = 8;
    uint16 internal constant EMAIL = 16;
    uint16 internal constant IN_PERSON = 32;
    uint16 internal constant ALL_EVIDENCE = 63;

    /// @dev The order of secp256k1; a valid private key is in [1, N - 1] and a low `s` is at most N / 2.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant ERC6492_MAGIC = 0x6492649264926492649264926492649264926492649264926492649264926492;

    KycRegistry internal registry;
    bytes32 internal attestRequestTypehash;
    bytes32 internal withdrawTypehash;

    function _deployRegistry(address owner) internal {
        _useRegistry(new KycRegistry(owner));
    }

    function _useRegistry(KycRegistry registry_) internal {
        registry = registry_;
        attestRequestTypehash = registry_.ATTEST_REQUEST_TYPEHASH();
        withdrawTypehash = registry_.WITHDRAW_TYPEHASH();
    }

    function _domainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256(bytes(DOMAIN_NAME)),
                keccak256(bytes(DOMAIN_VERSION)),
                chainId,
                verifyingContract
            )
        );
    }

    function _typedDataDigest(bytes32 domainSeparator, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    function _attestDigest(
        uint256 chainId,
        address verifyingContract,
        address subject,
        address certifier,
        bytes32 root,
        uint64 nonce,
        uint64 deadline
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(attestRequestTypehash, subject, certifier, root, nonce, deadline));
        return _typedDataDigest(_domainSeparator(chainId, verifyingContract), structHash);
    }

    function _withdrawDigest(
        uint256 chainId,
        address verifyingContract,
        address subject,
        address certifier,
        uint64 nonce,
        uint64 deadline
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(withdrawTypehash, subject, certifier, nonce, deadline));
        return _typedDataDigest(_domainSeparator(chainId, verifyingContract), structHash);
    }

    /// @dev `r || s || v`, v in {27, 28}, low s: the only form the SPEC accepts.
    function _sign(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev An `AttestRequest` for this registry on this chain, signed with `privateKey` on behalf of `subject`
    /// (the key's own address, or a contract wallet the key owns).
    function _signAttest(
        uint256 privateKey,
        address subject,
        address certifier,
        bytes32 root,
        uint64 nonce,
        uint64 deadline
    ) internal view returns (bytes memory) {
        return _sign(
            privateKey, _attestDigest(block.chainid, address(registry), subject, certifier, root, nonce, deadline)
        );
    }

    function _signWithdraw(uint256 privateKey, address subject, address certifier, uint64 nonce, uint64 deadline)
        internal
        view
        returns (bytes memory)
    {
        return _sign(privateKey, _withdrawDigest(block.chainid, address(registry), subject, certifier, nonce, deadline));
    }

    function _status(address subject, address certifier) internal view returns (IKycRegistry.Status) {
        return registry.attestation(subject, certifier).status;
    }
}
