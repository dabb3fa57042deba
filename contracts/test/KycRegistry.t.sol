// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IKycRegistry} from "../src/IKycRegistry.sol";
import {KycRegistry} from "../src/KycRegistry.sol";
import {ERC1271WalletMock} from "./mocks/ERC1271WalletMock.sol";
import {KycRegistryBase} from "./utils/KycRegistryBase.sol";

contract KycRegistryTest is KycRegistryBase {
    uint256 internal constant SUBJECT_KEY = 0xA11CE;
    uint256 internal constant STRANGER_KEY = 0xB0B;
    uint256 internal constant WALLET_OWNER_KEY = 0xCAFE;

    uint64 internal constant START = 1_700_000_000;
    uint64 internal constant EXPIRES_AT = START + 365 days;
    uint64 internal constant DEADLINE = START + 1 hours;
    bytes32 internal constant ROOT = keccak256("root");
    bytes32 internal constant OTHER_ROOT = keccak256("other root");

    // crates/core/tests/vectors/eip712.json, made by an independent implementation.
    uint256 internal constant VECTOR_CHAIN_ID = 31337;
    address internal constant VECTOR_REGISTRY = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
    /// @dev Anvil's first account, whose first deployment lands at VECTOR_REGISTRY.
    address internal constant VECTOR_DEPLOYER = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    address internal constant VECTOR_SUBJECT = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
    address internal constant VECTOR_CERTIFIER = 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC;
    bytes32 internal constant VECTOR_ROOT = 0x9b9e19da9f01b77a5433babb186ff517db504611edd8db3096a3bea181bd22fe;
    uint64 internal constant VECTOR_DEADLINE = 1893456000;

    address internal owner = address(0x0A11CE0);
    address internal certifier = address(0xC1);
    address internal otherCertifier = address(0xC2);
    address internal relayer = address(0x7E1A7E);
    address internal subject;
    address internal stranger;
    ERC1271WalletMock internal wallet;

    function setUp() public {
        vm.warp(START);
        subject = vm.addr(SUBJECT_KEY);
        stranger = vm.addr(STRANGER_KEY);
        _deployRegistry(owner);
        vm.startPrank(owner);
        registry.addCertifier(certifier, "Acme KYC");
        registry.addCertifier(otherCertifier, "Other KYC");
        vm.stopPrank();
        wallet = new ERC1271WalletMock(vm.addr(WALLET_OWNER_KEY));
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    /// @dev The subject signs a request with its current nonce and `by` submits it.
    function _attestAs(address by, uint256 key, address subject_, bytes32 root, uint16 evidence) internal {
        uint64 nonce = registry.nonces(subject_, by);
        bytes memory signature = _signAttest(key, subject_, by, root, nonce, DEADLINE);
        vm.prank(by);
        registry.attest(subject_, root, evidence, EXPIRES_AT, DEADLINE, signature);
    }

    function _attest() internal {
        _attestAs(certifier, SUBJECT_KEY, subject, ROOT, DOCUMENT | FACE);
    }

    function _expectAttestRevert(bytes memory signature, bytes memory revertData) internal {
        vm.prank(certifier);
        vm.expectRevert(revertData);
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function _invalidSignature(address subject_) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IKycRegistry.InvalidSignature.selector, subject_);
    }

    function _notActive(address subject_, address certifier_) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IKycRegistry.NotActive.selector, subject_, certifier_);
    }

    function _assertStatus(address subject_, address certifier_, IKycRegistry.Status expected) internal view {
        vm.assertEq(uint256(_status(subject_, certifier_)), uint256(expected), "status");
    }

    // ------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------

    function test_Constructor() public view {
        vm.assertEq(registry.owner(), owner);
        vm.assertEq(registry.pendingOwner(), address(0));
        vm.assertEq(registry.ALL_EVIDENCE(), ALL_EVIDENCE);
    }

    function test_RevertWhen_ConstructedWithZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new KycRegistry(address(0));
    }

    function test_AddCertifier() public {
        address newCertifier = address(0xC3);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IKycRegistry.CertifierAdded(newCertifier, "New KYC");
        vm.prank(owner);
        registry.addCertifier(newCertifier, "New KYC");
        vm.assertTrue(registry.isCertifier(newCertifier));
        vm.assertEq(registry.certifierName(newCertifier), "New KYC");
    }

    function test_RevertWhen_AddCertifierNotOwner() public {
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, certifier));
        registry.addCertifier(address(0xC3), "New KYC");
    }

    function test_RevertWhen_AddCertifierZeroAddress() public {
        vm.prank(owner);
        vm.expectRevert(IKycRegistry.ZeroAddress.selector);
        registry.addCertifier(address(0), "Nobody");
    }

    function test_RevertWhen_AddCertifierEmptyName() public {
        vm.prank(owner);
        vm.expectRevert(IKycRegistry.EmptyCertifierName.selector);
        registry.addCertifier(address(0xC3), "");
    }

    function test_RevertWhen_AddCertifierAlreadyAdded() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.CertifierAlreadyAdded.selector, certifier));
        registry.addCertifier(certifier, "Acme KYC again");
    }

    function test_RemoveCertifier() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit IKycRegistry.CertifierRemoved(certifier);
        vm.prank(owner);
        registry.removeCertifier(certifier);
        vm.assertFalse(registry.isCertifier(certifier));
        vm.assertEq(registry.certifierName(certifier), "");
    }

    function test_RevertWhen_RemoveCertifierNotOwner() public {
        vm.prank(otherCertifier);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, otherCertifier));
        registry.removeCertifier(certifier);
    }

    function test_RevertWhen_RemoveCertifierUnknown() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.NotCertifier.selector, stranger));
        registry.removeCertifier(stranger);
    }

    function test_RevertWhen_RemoveCertifierTwice() public {
        vm.startPrank(owner);
        registry.removeCertifier(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.NotCertifier.selector, certifier));
        registry.removeCertifier(certifier);
        vm.stopPrank();
    }

    /// @dev Re-adding a removed certifier revives its attestations that are still active and unexpired.
    function test_AddCertifierAgainAfterRemoval() public {
        _attest();
        vm.prank(owner);
        registry.removeCertifier(certifier);
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
        vm.prank(owner);
        registry.addCertifier(certifier, "Acme KYC (renamed)");
        vm.assertEq(registry.certifierName(certifier), "Acme KYC (renamed)");
        vm.assertTrue(registry.isVerified(subject, certifier, 0));
    }

    function test_TransferOwnership() public {
        address newOwner = address(0x0E1);
        vm.expectEmit(true, true, false, true, address(registry));
        emit Ownable2Step.OwnershipTransferStarted(owner, newOwner);
        vm.prank(owner);
        registry.transferOwnership(newOwner);
        // Nothing changes until the new owner accepts.
        vm.assertEq(registry.owner(), owner);
        vm.assertEq(registry.pendingOwner(), newOwner);

        vm.expectEmit(true, true, false, true, address(registry));
        emit Ownable.OwnershipTransferred(owner, newOwner);
        vm.prank(newOwner);
        registry.acceptOwnership();
        vm.assertEq(registry.owner(), newOwner);
        vm.assertEq(registry.pendingOwner(), address(0));

        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owner));
        registry.addCertifier(address(0xC3), "New KYC");
        vm.prank(newOwner);
        registry.addCertifier(address(0xC3), "New KYC");
        vm.assertTrue(registry.isCertifier(address(0xC3)));
    }

    function test_RevertWhen_TransferOwnershipNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        registry.transferOwnership(stranger);
    }

    function test_RevertWhen_AcceptOwnershipNotPendingOwner() public {
        vm.prank(owner);
        registry.transferOwnership(address(0x0E1));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        registry.acceptOwnership();
    }

    function test_RevertWhen_RenounceOwnershipNotOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        registry.renounceOwnership();
    }

    // ------------------------------------------------------------------------------------------
    // attest
    // ------------------------------------------------------------------------------------------

    function test_Attest() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IKycRegistry.Attested(subject, certifier, ROOT, DOCUMENT | FACE, EXPIRES_AT);
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature);

        IKycRegistry.Attestation memory stored = registry.attestation(subject, certifier);
        vm.assertEq(stored.root, ROOT);
        vm.assertEq(stored.issuedAt, START);
        vm.assertEq(stored.expiresAt, EXPIRES_AT);
        vm.assertEq(stored.evidence, DOCUMENT | FACE);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
        vm.assertEq(registry.nonces(subject, certifier), 1);
        vm.assertTrue(registry.isVerified(subject, certifier, DOCUMENT | FACE));
        // Other pairs are untouched.
        vm.assertEq(registry.nonces(subject, otherCertifier), 0);
        _assertStatus(subject, otherCertifier, IKycRegistry.Status.None);
    }

    function test_Attest_AtDeadline() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, START);
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, START, signature);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    function test_Attest_ReplacesEarlier() public {
        _attest();
        vm.warp(START + 10 days);
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, OTHER_ROOT, 1, START + 11 days);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IKycRegistry.Attested(subject, certifier, OTHER_ROOT, IN_PERSON, START + 400 days);
        vm.prank(certifier);
        registry.attest(subject, OTHER_ROOT, IN_PERSON, START + 400 days, START + 11 days, signature);

        IKycRegistry.Attestation memory stored = registry.attestation(subject, certifier);
        vm.assertEq(stored.root, OTHER_ROOT);
        vm.assertEq(stored.issuedAt, START + 10 days);
        vm.assertEq(stored.expiresAt, START + 400 days);
        vm.assertEq(stored.evidence, IN_PERSON);
        vm.assertEq(registry.nonces(subject, certifier), 2);
        vm.assertFalse(registry.isVerified(subject, certifier, DOCUMENT));
        vm.assertTrue(registry.isVerified(subject, certifier, IN_PERSON));
    }

    function test_Attest_AfterRevokeAndWithdraw() public {
        _attest();
        vm.prank(certifier);
        registry.revoke(subject, "documents forged");
        _attestAs(certifier, SUBJECT_KEY, subject, OTHER_ROOT, DOCUMENT);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
        vm.prank(subject);
        registry.withdraw(certifier);
        _attestAs(certifier, SUBJECT_KEY, subject, ROOT, DOCUMENT);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
        // Three attestations and the withdrawal.
        vm.assertEq(registry.nonces(subject, certifier), 4);
    }

    function test_Attest_SameSubjectByTwoCertifiers() public {
        _attestAs(certifier, SUBJECT_KEY, subject, ROOT, DOCUMENT);
        _attestAs(otherCertifier, SUBJECT_KEY, subject, OTHER_ROOT, FACE);
        vm.assertEq(registry.attestation(subject, certifier).root, ROOT);
        vm.assertEq(registry.attestation(subject, otherCertifier).root, OTHER_ROOT);
        vm.assertEq(registry.nonces(subject, certifier), 1);
        vm.assertEq(registry.nonces(subject, otherCertifier), 1);
    }

    function test_Attest_EveryEvidenceBit() public {
        _attestAs(certifier, SUBJECT_KEY, subject, ROOT, ALL_EVIDENCE);
        vm.assertTrue(registry.isVerified(subject, certifier, ALL_EVIDENCE));
    }

    function test_RevertWhen_AttestByNonCertifier() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, stranger, ROOT, 0, DEADLINE);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.NotCertifier.selector, stranger));
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_AttestByRemovedCertifier() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(owner);
        registry.removeCertifier(certifier);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.NotCertifier.selector, certifier));
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_DeadlinePassed() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.warp(DEADLINE + 1);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.SignatureExpired.selector, DEADLINE));
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_SignedForNextNonce() public {
        _expectAttestRevert(_signAttest(SUBJECT_KEY, subject, certifier, ROOT, 1, DEADLINE), _invalidSignature(subject));
    }

    function test_RevertWhen_SignatureReplayed() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
        // The nonce moved on, so the same bytes no longer match.
        _expectAttestRevert(signature, _invalidSignature(subject));
        vm.assertEq(registry.nonces(subject, certifier), 1);
    }

    function test_RevertWhen_SignedForOtherChain() public {
        bytes32 digest = _attestDigest(1, address(registry), subject, certifier, ROOT, 0, DEADLINE);
        _expectAttestRevert(_sign(SUBJECT_KEY, digest), _invalidSignature(subject));
    }

    function test_RevertWhen_SignedForOtherRegistry() public {
        KycRegistry other = new KycRegistry(owner);
        bytes32 digest = _attestDigest(block.chainid, address(other), subject, certifier, ROOT, 0, DEADLINE);
        _expectAttestRevert(_sign(SUBJECT_KEY, digest), _invalidSignature(subject));
    }

    function test_RevertWhen_SignedForOtherCertifier() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, otherCertifier, ROOT, 0, DEADLINE);
        _expectAttestRevert(signature, _invalidSignature(subject));
    }

    function test_RevertWhen_SignedForOtherRoot() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, OTHER_ROOT, 0, DEADLINE);
        _expectAttestRevert(signature, _invalidSignature(subject));
    }

    function test_RevertWhen_SignedForOtherDeadline() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE + 1);
        _expectAttestRevert(signature, _invalidSignature(subject));
    }

    /// @dev The chain id is read at call time: after a fork to another id, only signatures for that id count.
    function test_Attest_AfterChainIdChange() public {
        bytes memory forOldChain = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.chainId(1);
        vm.assertEq(registry.DOMAIN_SEPARATOR(), _domainSeparator(1, address(registry)));
        _expectAttestRevert(forOldChain, _invalidSignature(subject));
        _attest();
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    function test_RevertWhen_SignatureHighS() public {
        bytes32 digest = _attestDigest(block.chainid, address(registry), subject, certifier, ROOT, 0, DEADLINE);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SUBJECT_KEY, digest);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        // The twin is a valid signature for raw ecrecover; the registry must still refuse it.
        vm.assertEq(ecrecover(digest, flippedV, r, highS), subject);
        _expectAttestRevert(abi.encodePacked(r, highS, flippedV), _invalidSignature(subject));
    }

    function test_RevertWhen_SignatureCompact() public {
        bytes32 digest = _attestDigest(block.chainid, address(registry), subject, certifier, ROOT, 0, DEADLINE);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SUBJECT_KEY, digest);
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        // The EIP-2098 form recovers the subject, yet the SPEC refuses 64-byte signatures.
        vm.assertEq(ECDSA.recover(digest, r, vs), subject);
        _expectAttestRevert(abi.encodePacked(r, vs), _invalidSignature(subject));
    }

    function test_RevertWhen_SignatureVZeroOrOne() public {
        bytes32 digest = _attestDigest(block.chainid, address(registry), subject, certifier, ROOT, 0, DEADLINE);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SUBJECT_KEY, digest);
        _expectAttestRevert(abi.encodePacked(r, s, v - 27), _invalidSignature(subject));
        // The other parity as well, which must not recover the subject either.
        _expectAttestRevert(abi.encodePacked(r, s, 28 - v), _invalidSignature(subject));
    }

    function test_RevertWhen_SignatureOtherLength() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        _expectAttestRevert("", _invalidSignature(subject));
        _expectAttestRevert(abi.encodePacked(signature, uint8(0)), _invalidSignature(subject));
        _expectAttestRevert(new bytes(65), _invalidSignature(subject));
    }

    function test_RevertWhen_SignedBySomeoneElse() public {
        bytes memory signature = _signAttest(STRANGER_KEY, subject, certifier, ROOT, 0, DEADLINE);
        _expectAttestRevert(signature, _invalidSignature(subject));
    }

    function test_RevertWhen_SubjectZero() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, address(0), certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(IKycRegistry.ZeroAddress.selector);
        registry.attest(address(0), ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_RootZero() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, bytes32(0), 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(IKycRegistry.ZeroRoot.selector);
        registry.attest(subject, bytes32(0), DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_EvidenceUnknown() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.UnknownEvidence.selector, uint16(64)));
        registry.attest(subject, ROOT, 64, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_ExpiryInPast() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.ExpiryInPast.selector, START - 1));
        registry.attest(subject, ROOT, DOCUMENT, START - 1, DEADLINE, signature);
        // Expiring right now counts as the past too.
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.ExpiryInPast.selector, START));
        registry.attest(subject, ROOT, DOCUMENT, START, DEADLINE, signature);
    }

    function test_RevertWhen_SignatureWrappedInERC6492() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        bytes memory wrapped = abi.encodePacked(abi.encode(address(0xFAC7), bytes(""), signature), ERC6492_MAGIC);
        _expectAttestRevert(wrapped, _invalidSignature(subject));
    }

    // ------------------------------------------------------------------------------------------
    // ERC-1271 subjects
    // ------------------------------------------------------------------------------------------

    function test_Attest_ContractWallet() public {
        bytes memory signature = _signAttest(WALLET_OWNER_KEY, address(wallet), certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(address(wallet), ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
        _assertStatus(address(wallet), certifier, IKycRegistry.Status.Active);
        vm.assertEq(registry.nonces(address(wallet), certifier), 1);
        vm.assertTrue(registry.isVerified(address(wallet), certifier, DOCUMENT));
    }

    function test_RevertWhen_ContractWalletReturnsWrongMagic() public {
        bytes memory signature = _signAttest(WALLET_OWNER_KEY, address(wallet), certifier, ROOT, 0, DEADLINE);
        wallet.setMode(ERC1271WalletMock.Mode.WrongMagic);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(address(wallet)));
        registry.attest(address(wallet), ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_ContractWalletReverts() public {
        bytes memory signature = _signAttest(WALLET_OWNER_KEY, address(wallet), certifier, ROOT, 0, DEADLINE);
        wallet.setMode(ERC1271WalletMock.Mode.Reverting);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(address(wallet)));
        registry.attest(address(wallet), ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    function test_RevertWhen_ContractWalletSignedByStranger() public {
        bytes memory signature = _signAttest(STRANGER_KEY, address(wallet), certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(address(wallet)));
        registry.attest(address(wallet), ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
    }

    /// @dev The wallet itself would accept the wrapper; the registry refuses it before asking.
    function test_RevertWhen_ContractWalletSignatureWrappedInERC6492() public {
        bytes32 digest = _attestDigest(block.chainid, address(registry), address(wallet), certifier, ROOT, 0, DEADLINE);
        bytes memory wrapped =
            abi.encodePacked(abi.encode(address(0xFAC7), bytes(""), _sign(WALLET_OWNER_KEY, digest)), ERC6492_MAGIC);
        vm.assertEq(wallet.isValidSignature(digest, wrapped), wallet.isValidSignature.selector);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(address(wallet)));
        registry.attest(address(wallet), ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, wrapped);
    }

    /// @dev An EIP-7702 account has code, yet its key still controls it, so the key's signature counts even
    /// when the delegate's `isValidSignature` would not vouch for it (here the mock, owned by another key).
    function test_Attest_DelegatedAccountSignsWithItsKey() public {
        vm.etch(subject, abi.encodePacked(hex"ef0100", address(wallet)));
        vm.assertGt(subject.code.length, 0);
        bytes32 digest = _attestDigest(block.chainid, address(registry), subject, certifier, ROOT, 0, DEADLINE);
        bytes memory signature = _sign(SUBJECT_KEY, digest);
        vm.assertEq(ERC1271WalletMock(subject).isValidSignature(digest, signature), bytes4(0));
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    /// @dev ...and its delegate's ERC-1271 answer counts too, for signatures the key did not make.
    function test_Attest_DelegatedAccountByERC1271() public {
        vm.etch(subject, abi.encodePacked(hex"ef0100", address(wallet)));
        bytes memory signature = _signAttest(WALLET_OWNER_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, signature);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    function test_WithdrawBySig_ContractWallet() public {
        _attestAs(certifier, WALLET_OWNER_KEY, address(wallet), ROOT, DOCUMENT);
        bytes memory signature = _signWithdraw(WALLET_OWNER_KEY, address(wallet), certifier, 1, DEADLINE);
        vm.prank(relayer);
        registry.withdrawBySig(address(wallet), certifier, DEADLINE, signature);
        _assertStatus(address(wallet), certifier, IKycRegistry.Status.Withdrawn);
        vm.assertEq(registry.nonces(address(wallet), certifier), 2);
    }

    function test_RevertWhen_WithdrawBySigContractWalletRefuses() public {
        _attestAs(certifier, WALLET_OWNER_KEY, address(wallet), ROOT, DOCUMENT);
        bytes memory signature = _signWithdraw(WALLET_OWNER_KEY, address(wallet), certifier, 1, DEADLINE);
        wallet.setMode(ERC1271WalletMock.Mode.WrongMagic);
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(address(wallet)));
        registry.withdrawBySig(address(wallet), certifier, DEADLINE, signature);

        wallet.setMode(ERC1271WalletMock.Mode.Reverting);
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(address(wallet)));
        registry.withdrawBySig(address(wallet), certifier, DEADLINE, signature);
        _assertStatus(address(wallet), certifier, IKycRegistry.Status.Active);
    }

    function test_Withdraw_ContractWallet() public {
        _attestAs(certifier, WALLET_OWNER_KEY, address(wallet), ROOT, DOCUMENT);
        vm.prank(address(wallet));
        registry.withdraw(certifier);
        _assertStatus(address(wallet), certifier, IKycRegistry.Status.Withdrawn);
    }

    // ------------------------------------------------------------------------------------------
    // attestBatch
    // ------------------------------------------------------------------------------------------

    function _batchInput(uint256 key, bytes32 root, uint64 nonce)
        internal
        view
        returns (IKycRegistry.AttestInput memory)
    {
        address subject_ = vm.addr(key);
        return IKycRegistry.AttestInput({
            subject: subject_,
            root: root,
            evidence: DOCUMENT,
            expiresAt: EXPIRES_AT,
            deadline: DEADLINE,
            signature: _signAttest(key, subject_, certifier, root, nonce, DEADLINE)
        });
    }

    function test_AttestBatch() public {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](3);
        for (uint256 i; i < inputs.length; ++i) {
            inputs[i] = _batchInput(0x5000 + i, keccak256(abi.encode(i)), 0);
        }
        for (uint256 i; i < inputs.length; ++i) {
            vm.expectEmit(true, true, false, true, address(registry));
            emit IKycRegistry.Attested(inputs[i].subject, certifier, inputs[i].root, DOCUMENT, EXPIRES_AT);
        }
        vm.prank(certifier);
        registry.attestBatch(inputs);
        for (uint256 i; i < inputs.length; ++i) {
            vm.assertEq(registry.attestation(inputs[i].subject, certifier).root, inputs[i].root);
            vm.assertEq(registry.nonces(inputs[i].subject, certifier), 1);
            vm.assertTrue(registry.isVerified(inputs[i].subject, certifier, DOCUMENT));
        }
    }

    /// @dev Entries apply in order: a subject may appear twice with consecutive nonces; the later one wins.
    function test_AttestBatch_SameSubjectTwice() public {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](2);
        inputs[0] = _batchInput(SUBJECT_KEY, ROOT, 0);
        inputs[1] = _batchInput(SUBJECT_KEY, OTHER_ROOT, 1);
        vm.prank(certifier);
        registry.attestBatch(inputs);
        vm.assertEq(registry.attestation(subject, certifier).root, OTHER_ROOT);
        vm.assertEq(registry.nonces(subject, certifier), 2);
    }

    function test_RevertWhen_AttestBatchReusesNonce() public {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](2);
        inputs[0] = _batchInput(SUBJECT_KEY, ROOT, 0);
        inputs[1] = _batchInput(SUBJECT_KEY, OTHER_ROOT, 0);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(subject));
        registry.attestBatch(inputs);
    }

    function test_RevertWhen_AttestBatchEmpty() public {
        vm.prank(certifier);
        vm.expectRevert(IKycRegistry.EmptyBatch.selector);
        registry.attestBatch(new IKycRegistry.AttestInput[](0));
    }

    function test_RevertWhen_AttestBatchOneEntryBad() public {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](3);
        for (uint256 i; i < inputs.length; ++i) {
            inputs[i] = _batchInput(0x5000 + i, keccak256(abi.encode(i)), 0);
        }
        inputs[2].signature = _signAttest(STRANGER_KEY, inputs[2].subject, certifier, inputs[2].root, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(inputs[2].subject));
        registry.attestBatch(inputs);
        // All or nothing: the good entries before it were not recorded either.
        for (uint256 i; i < inputs.length; ++i) {
            vm.assertEq(registry.nonces(inputs[i].subject, certifier), 0);
            _assertStatus(inputs[i].subject, certifier, IKycRegistry.Status.None);
        }
    }

    function test_RevertWhen_AttestBatchEntryHasZeroRoot() public {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](2);
        inputs[0] = _batchInput(0x5000, ROOT, 0);
        inputs[1] = _batchInput(0x5001, bytes32(0), 0);
        vm.prank(certifier);
        vm.expectRevert(IKycRegistry.ZeroRoot.selector);
        registry.attestBatch(inputs);
    }

    function test_RevertWhen_AttestBatchByNonCertifier() public {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](1);
        inputs[0] = _batchInput(SUBJECT_KEY, ROOT, 0);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.NotCertifier.selector, stranger));
        registry.attestBatch(inputs);
    }

    // ------------------------------------------------------------------------------------------
    // revoke
    // ------------------------------------------------------------------------------------------

    function test_Revoke() public {
        _attest();
        vm.expectEmit(true, true, false, true, address(registry));
        emit IKycRegistry.Revoked(subject, certifier, "documents forged");
        vm.prank(certifier);
        registry.revoke(subject, "documents forged");
        _assertStatus(subject, certifier, IKycRegistry.Status.Revoked);
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
        // The record stays readable; only its status changes.
        vm.assertEq(registry.attestation(subject, certifier).root, ROOT);
        vm.assertEq(registry.nonces(subject, certifier), 1);
    }

    function test_RevertWhen_RevokeByOtherCertifier() public {
        _attest();
        vm.prank(otherCertifier);
        vm.expectRevert(_notActive(subject, otherCertifier));
        registry.revoke(subject, "not mine");
    }

    function test_RevertWhen_RevokeTwice() public {
        _attest();
        vm.startPrank(certifier);
        registry.revoke(subject, "documents forged");
        vm.expectRevert(_notActive(subject, certifier));
        registry.revoke(subject, "again");
        vm.stopPrank();
    }

    function test_RevertWhen_RevokeWithoutAttestation() public {
        vm.prank(certifier);
        vm.expectRevert(_notActive(subject, certifier));
        registry.revoke(subject, "nothing");
    }

    function test_RevertWhen_RevokeAfterWithdraw() public {
        _attest();
        vm.prank(subject);
        registry.withdraw(certifier);
        vm.prank(certifier);
        vm.expectRevert(_notActive(subject, certifier));
        registry.revoke(subject, "too late");
    }

    /// @dev A removed certifier can still revoke what it recorded, e.g. to clean up after its removal.
    function test_Revoke_AfterCertifierRemoved() public {
        _attest();
        vm.prank(owner);
        registry.removeCertifier(certifier);
        vm.prank(certifier);
        registry.revoke(subject, "closing down");
        _assertStatus(subject, certifier, IKycRegistry.Status.Revoked);
    }

    // ------------------------------------------------------------------------------------------
    // withdraw, withdrawBySig
    // ------------------------------------------------------------------------------------------

    function test_Withdraw() public {
        _attest();
        vm.expectEmit(true, true, false, true, address(registry));
        emit IKycRegistry.Withdrawn(subject, certifier);
        vm.prank(subject);
        registry.withdraw(certifier);
        _assertStatus(subject, certifier, IKycRegistry.Status.Withdrawn);
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
        vm.assertEq(registry.nonces(subject, certifier), 2);
    }

    /// @dev A direct withdrawal uses up the nonce as a signed one does, so a request the subject signed
    /// before it cannot revive the attestation.
    function test_Withdraw_CancelsPendingRequest() public {
        _attest();
        bytes memory pending = _signAttest(SUBJECT_KEY, subject, certifier, OTHER_ROOT, 1, DEADLINE);
        vm.prank(subject);
        registry.withdraw(certifier);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(subject));
        registry.attest(subject, OTHER_ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, pending);
        _assertStatus(subject, certifier, IKycRegistry.Status.Withdrawn);
    }

    function test_Withdraw_FromRemovedCertifier() public {
        _attest();
        vm.prank(owner);
        registry.removeCertifier(certifier);
        vm.prank(subject);
        registry.withdraw(certifier);
        _assertStatus(subject, certifier, IKycRegistry.Status.Withdrawn);
    }

    function test_RevertWhen_WithdrawWithoutAttestation() public {
        vm.prank(subject);
        vm.expectRevert(_notActive(subject, certifier));
        registry.withdraw(certifier);
    }

    function test_RevertWhen_WithdrawTwice() public {
        _attest();
        vm.startPrank(subject);
        registry.withdraw(certifier);
        vm.expectRevert(_notActive(subject, certifier));
        registry.withdraw(certifier);
        vm.stopPrank();
    }

    function test_RevertWhen_WithdrawAfterRevoke() public {
        _attest();
        vm.prank(certifier);
        registry.revoke(subject, "documents forged");
        vm.prank(subject);
        vm.expectRevert(_notActive(subject, certifier));
        registry.withdraw(certifier);
    }

    function test_WithdrawBySig() public {
        _attest();
        bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, certifier, 1, DEADLINE);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IKycRegistry.Withdrawn(subject, certifier);
        vm.prank(relayer);
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
        _assertStatus(subject, certifier, IKycRegistry.Status.Withdrawn);
        vm.assertEq(registry.nonces(subject, certifier), 2);
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
    }

    function test_RevertWhen_WithdrawBySigExpired() public {
        _attest();
        bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, certifier, 1, DEADLINE);
        vm.warp(DEADLINE + 1);
        vm.prank(relayer);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.SignatureExpired.selector, DEADLINE));
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
    }

    function test_RevertWhen_WithdrawBySigReplayed() public {
        _attest();
        bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, certifier, 1, DEADLINE);
        vm.prank(relayer);
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
        // The subject is attested again; the old withdrawal must not undo that.
        _attest();
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(subject));
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    function test_RevertWhen_WithdrawBySigWrongSigner() public {
        _attest();
        bytes memory signature = _signWithdraw(STRANGER_KEY, subject, certifier, 1, DEADLINE);
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(subject));
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
    }

    function test_RevertWhen_WithdrawBySigForOtherCertifier() public {
        _attest();
        _attestAs(otherCertifier, SUBJECT_KEY, subject, ROOT, DOCUMENT);
        bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, otherCertifier, 1, DEADLINE);
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(subject));
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
    }

    /// @dev An `AttestRequest` signature is not a `Withdraw` signature, even with the same nonce.
    function test_RevertWhen_WithdrawBySigWithAttestSignature() public {
        _attest();
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 1, DEADLINE);
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(subject));
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
    }

    function test_RevertWhen_WithdrawBySigWithoutAttestation() public {
        bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, certifier, 0, DEADLINE);
        vm.prank(relayer);
        vm.expectRevert(_notActive(subject, certifier));
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
        vm.assertEq(registry.nonces(subject, certifier), 0);
    }

    /// @dev A signed withdrawal uses up the nonce, so a request the subject signed but the certifier has
    /// not yet submitted dies with it.
    function test_WithdrawBySig_CancelsPendingRequest() public {
        _attest();
        bytes memory pending = _signAttest(SUBJECT_KEY, subject, certifier, OTHER_ROOT, 1, DEADLINE);
        bytes memory withdrawal = _signWithdraw(SUBJECT_KEY, subject, certifier, 1, DEADLINE);
        vm.prank(relayer);
        registry.withdrawBySig(subject, certifier, DEADLINE, withdrawal);
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(subject));
        registry.attest(subject, OTHER_ROOT, DOCUMENT, EXPIRES_AT, DEADLINE, pending);
    }

    function test_RevertWhen_WithdrawBySigHighS() public {
        _attest();
        bytes32 digest = _withdrawDigest(block.chainid, address(registry), subject, certifier, 1, DEADLINE);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SUBJECT_KEY, digest);
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.prank(relayer);
        vm.expectRevert(_invalidSignature(subject));
        registry.withdrawBySig(subject, certifier, DEADLINE, twin);
    }

    // ------------------------------------------------------------------------------------------
    // isVerified and reads
    // ------------------------------------------------------------------------------------------

    function test_IsVerified_UntilExpiry() public {
        _attest();
        vm.warp(EXPIRES_AT - 1);
        vm.assertTrue(registry.isVerified(subject, certifier, DOCUMENT));
        vm.warp(EXPIRES_AT);
        vm.assertFalse(registry.isVerified(subject, certifier, DOCUMENT));
        // Expiry does not change the stored status.
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    function test_IsVerified_FalseAfterRevoke() public {
        _attest();
        vm.prank(certifier);
        registry.revoke(subject, "documents forged");
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
    }

    function test_IsVerified_FalseAfterWithdraw() public {
        _attest();
        vm.prank(subject);
        registry.withdraw(certifier);
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
    }

    function test_IsVerified_FalseForRemovedCertifier() public {
        _attest();
        vm.prank(owner);
        registry.removeCertifier(certifier);
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
        _assertStatus(subject, certifier, IKycRegistry.Status.Active);
    }

    function test_IsVerified_RequiredEvidence() public {
        _attest(); // DOCUMENT | FACE
        vm.assertTrue(registry.isVerified(subject, certifier, 0));
        vm.assertTrue(registry.isVerified(subject, certifier, DOCUMENT));
        vm.assertTrue(registry.isVerified(subject, certifier, FACE));
        vm.assertTrue(registry.isVerified(subject, certifier, DOCUMENT | FACE));
        vm.assertFalse(registry.isVerified(subject, certifier, PROOF_OF_ADDRESS));
        vm.assertFalse(registry.isVerified(subject, certifier, DOCUMENT | IN_PERSON));
        vm.assertFalse(registry.isVerified(subject, certifier, 64));
    }

    function test_IsVerified_FalseWithoutAttestation() public view {
        vm.assertFalse(registry.isVerified(subject, certifier, 0));
        vm.assertFalse(registry.isVerified(subject, stranger, 0));
    }

    function test_Attestation_Empty() public view {
        IKycRegistry.Attestation memory stored = registry.attestation(subject, certifier);
        vm.assertEq(stored.root, bytes32(0));
        vm.assertEq(stored.issuedAt, 0);
        vm.assertEq(stored.expiresAt, 0);
        vm.assertEq(stored.evidence, 0);
        vm.assertEq(uint256(stored.status), uint256(IKycRegistry.Status.None));
        vm.assertEq(registry.nonces(subject, certifier), 0);
    }

    function test_CertifierName_EmptyForOthers() public view {
        vm.assertEq(registry.certifierName(stranger), "");
        vm.assertFalse(registry.isCertifier(stranger));
        vm.assertEq(registry.certifierName(certifier), "Acme KYC");
    }

    function test_TypeHashes() public view {
        vm.assertEq(
            registry.ATTEST_REQUEST_TYPEHASH(),
            keccak256("AttestRequest(address subject,address certifier,bytes32 root,uint64 nonce,uint64 deadline)")
        );
        vm.assertEq(
            registry.WITHDRAW_TYPEHASH(),
            keccak256("Withdraw(address subject,address certifier,uint64 nonce,uint64 deadline)")
        );
    }

    function test_DomainSeparator() public view {
        vm.assertEq(registry.DOMAIN_SEPARATOR(), _domainSeparator(block.chainid, address(registry)));
    }

    function test_Eip712Domain() public view {
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = registry.eip712Domain();
        vm.assertEq(uint256(uint8(fields)), 0x0f); // name, version, chainId, verifyingContract
        vm.assertEq(name, DOMAIN_NAME);
        vm.assertEq(version, DOMAIN_VERSION);
        vm.assertEq(chainId, block.chainid);
        vm.assertEq(verifyingContract, address(registry));
        vm.assertEq(salt, bytes32(0));
        vm.assertEq(extensions.length, 0);
    }

    // ------------------------------------------------------------------------------------------
    // Vectors from an independent implementation (crates/core/tests/vectors/eip712.json)
    // ------------------------------------------------------------------------------------------

    function test_Vector_Digests() public view {
        vm.assertEq(
            _attestDigest(
                VECTOR_CHAIN_ID, VECTOR_REGISTRY, VECTOR_SUBJECT, VECTOR_CERTIFIER, VECTOR_ROOT, 0, VECTOR_DEADLINE
            ),
            0xaa6cda96b41454f349c59ab59c10061f47dff3e8e862dcfbac7cba742d822f2a,
            "vector 0: AttestRequest"
        );
        vm.assertEq(
            _attestDigest(
                VECTOR_CHAIN_ID,
                VECTOR_REGISTRY,
                VECTOR_SUBJECT,
                VECTOR_CERTIFIER,
                0xf941080b33e35dbd42cedbc1762b118e04be28cd4b867942d3517d172b594900,
                7,
                1700000000
            ),
            0x2ff6052d201a33fb28c660ddd199b8cff847a06424524a76b4eca3ca87e17fc9,
            "vector 1: AttestRequest"
        );
        vm.assertEq(
            _withdrawDigest(VECTOR_CHAIN_ID, VECTOR_REGISTRY, VECTOR_SUBJECT, VECTOR_CERTIFIER, 1, VECTOR_DEADLINE),
            0x530b5610e82569aa22cdcb42ab18b9bdfa14000dc0985b248e05fb8fabfa9236,
            "vector 2: Withdraw"
        );
    }

    /// @dev Deploys the registry where the vectors expect it and submits their signatures unchanged.
    function test_Vector_AcceptedOnChain() public {
        vm.chainId(VECTOR_CHAIN_ID);
        vm.prank(VECTOR_DEPLOYER);
        KycRegistry deployed = new KycRegistry(owner);
        vm.assertEq(address(deployed), VECTOR_REGISTRY);
        vm.prank(owner);
        deployed.addCertifier(VECTOR_CERTIFIER, "Vector KYC");

        vm.prank(VECTOR_CERTIFIER);
        deployed.attest(
            VECTOR_SUBJECT,
            VECTOR_ROOT,
            DOCUMENT,
            VECTOR_DEADLINE + 365 days,
            VECTOR_DEADLINE,
            hex"8d21898cfb4009f9fe4b49ff27f014366b0934ea2372cacf18defc04d18ae3ca411d3c877f91b26a853da9915a70f1b0f70e9a371139dd5b94e5a341bd1033ec1c"
        );
        vm.assertTrue(deployed.isVerified(VECTOR_SUBJECT, VECTOR_CERTIFIER, DOCUMENT));

        vm.prank(relayer);
        deployed.withdrawBySig(
            VECTOR_SUBJECT,
            VECTOR_CERTIFIER,
            VECTOR_DEADLINE,
            hex"0d2693fd79eb5b9c895bb7c95e1ce0ca2147ee3cef38ab86807cbbfc3c4d8fad41c95539f09f59fdb49b5d4c27b0f950a75c0214b77b64b3dd14770c3c2c0d7d1c"
        );
        vm.assertEq(
            uint256(deployed.attestation(VECTOR_SUBJECT, VECTOR_CERTIFIER).status),
            uint256(IKycRegistry.Status.Withdrawn)
        );
        vm.assertEq(deployed.nonces(VECTOR_SUBJECT, VECTOR_CERTIFIER), 2);
    }

    // ------------------------------------------------------------------------------------------
    // Fuzz
    // ------------------------------------------------------------------------------------------

    function testFuzz_Attest(uint256 subjectKey, bytes32 root, uint256 evidence, uint256 validFor, uint256 deadline)
        public
    {
        subjectKey = bound(subjectKey, 1, SECP256K1_N - 1);
        root = bytes32(bound(uint256(root), 1, type(uint256).max));
        uint16 evidence_ = uint16(bound(evidence, 0, ALL_EVIDENCE));
        uint64 expiresAt = uint64(bound(validFor, START + 1, type(uint64).max));
        uint64 deadline_ = uint64(bound(deadline, START, type(uint64).max));
        address subject_ = vm.addr(subjectKey);

        bytes memory signature = _signAttest(subjectKey, subject_, certifier, root, 0, deadline_);
        vm.prank(certifier);
        registry.attest(subject_, root, evidence_, expiresAt, deadline_, signature);

        IKycRegistry.Attestation memory stored = registry.attestation(subject_, certifier);
        vm.assertEq(stored.root, root);
        vm.assertEq(stored.issuedAt, START);
        vm.assertEq(stored.expiresAt, expiresAt);
        vm.assertEq(stored.evidence, evidence_);
        vm.assertEq(registry.nonces(subject_, certifier), 1);
        vm.assertTrue(registry.isVerified(subject_, certifier, evidence_));
    }

    function testFuzz_IsVerified_Evidence(uint256 evidence, uint16 required) public {
        uint16 evidence_ = uint16(bound(evidence, 0, ALL_EVIDENCE));
        _attestAs(certifier, SUBJECT_KEY, subject, ROOT, evidence_);
        vm.assertEq(registry.isVerified(subject, certifier, required), evidence_ & required == required);
    }

    function testFuzz_IsVerified_Expiry(uint256 validFor, uint256 elapsed) public {
        uint64 expiresAt = uint64(bound(validFor, START + 1, START + 10 * 365 days));
        elapsed = bound(elapsed, 0, 20 * 365 days);
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT, expiresAt, DEADLINE, signature);
        vm.warp(START + elapsed);
        vm.assertEq(registry.isVerified(subject, certifier, DOCUMENT), START + elapsed < expiresAt);
    }

    function testFuzz_RevertWhen_EvidenceUnknown(uint256 evidence) public {
        uint16 unknown = uint16(bound(evidence, ALL_EVIDENCE + 1, type(uint16).max));
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.UnknownEvidence.selector, unknown));
        registry.attest(subject, ROOT, unknown, EXPIRES_AT, DEADLINE, signature);
    }

    function testFuzz_RevertWhen_ExpiryNotInFuture(uint256 expiresAt) public {
        uint64 past = uint64(bound(expiresAt, 0, START));
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.ExpiryInPast.selector, past));
        registry.attest(subject, ROOT, DOCUMENT, past, DEADLINE, signature);
    }

    function testFuzz_RevertWhen_DeadlinePassed(uint256 deadline, uint256 delay) public {
        uint64 deadline_ = uint64(bound(deadline, START, START + 30 days));
        vm.warp(bound(delay, deadline_ + 1, START + 60 days));
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, deadline_);
        vm.prank(certifier);
        vm.expectRevert(abi.encodeWithSelector(IKycRegistry.SignatureExpired.selector, deadline_));
        registry.attest(subject, ROOT, DOCUMENT, START + 365 days, deadline_, signature);
    }

    function testFuzz_RevertWhen_NonceNotCurrent(uint256 nonce, uint256 attestations) public {
        attestations = bound(attestations, 0, 3);
        for (uint256 i; i < attestations; ++i) {
            _attest();
        }
        uint64 wrong = uint64(bound(nonce, 0, type(uint64).max - 1));
        if (wrong >= attestations) ++wrong; // skip the current nonce
        _expectAttestRevert(
            _signAttest(SUBJECT_KEY, subject, certifier, ROOT, wrong, DEADLINE), _invalidSignature(subject)
        );
    }

    function testFuzz_RevertWhen_SignedByOtherKey(uint256 key) public {
        key = bound(key, 1, SECP256K1_N - 1);
        if (key == SUBJECT_KEY) ++key;
        _expectAttestRevert(_signAttest(key, subject, certifier, ROOT, 0, DEADLINE), _invalidSignature(subject));
    }

    function testFuzz_RevertWhen_SignatureHighS(uint256 subjectKey, bytes32 root) public {
        subjectKey = bound(subjectKey, 1, SECP256K1_N - 1);
        root = bytes32(bound(uint256(root), 1, type(uint256).max));
        address subject_ = vm.addr(subjectKey);
        bytes32 digest = _attestDigest(block.chainid, address(registry), subject_, certifier, root, 0, DEADLINE);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(subjectKey, digest);
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.prank(certifier);
        vm.expectRevert(_invalidSignature(subject_));
        registry.attest(subject_, root, DOCUMENT, EXPIRES_AT, DEADLINE, twin);
    }

    function testFuzz_RevertWhen_SignatureMalformed(bytes memory signature) public {
        _expectAttestRevert(signature, _invalidSignature(subject));
    }

    function testFuzz_WithdrawBySig(uint256 subjectKey, address relayer_, uint256 deadline) public {
        subjectKey = bound(subjectKey, 1, SECP256K1_N - 1);
        uint64 deadline_ = uint64(bound(deadline, START, type(uint64).max));
        if (relayer_ == VM_ADDRESS) relayer_ = relayer;
        address subject_ = vm.addr(subjectKey);
        _attestAs(certifier, subjectKey, subject_, ROOT, DOCUMENT);
        bytes memory signature = _signWithdraw(subjectKey, subject_, certifier, 1, deadline_);
        vm.prank(relayer_);
        registry.withdrawBySig(subject_, certifier, deadline_, signature);
        _assertStatus(subject_, certifier, IKycRegistry.Status.Withdrawn);
        vm.assertEq(registry.nonces(subject_, certifier), 2);
    }

    /// @dev Random sequences of attest, revoke, withdraw, withdrawBySig and time passing, checked after every
    /// step against a model of one (subject, certifier) pair.
    function testFuzz_LifeCycle(uint8[12] memory actions, uint32[12] memory gaps) public {
        IKycRegistry.Status status;
        uint64 nonce;
        uint64 expiresAt;
        for (uint256 i; i < actions.length; ++i) {
            uint256 action = actions[i] % 5;
            uint64 deadline_ = uint64(block.timestamp + 1 hours);
            if (action == 0) {
                expiresAt = uint64(block.timestamp + 30 days);
                bytes32 root = keccak256(abi.encode(i, block.timestamp));
                bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, root, nonce, deadline_);
                vm.prank(certifier);
                registry.attest(subject, root, DOCUMENT, expiresAt, deadline_, signature);
                vm.assertEq(registry.attestation(subject, certifier).root, root);
                status = IKycRegistry.Status.Active;
                ++nonce;
            } else if (action == 1) {
                if (status != IKycRegistry.Status.Active) vm.expectRevert(_notActive(subject, certifier));
                vm.prank(certifier);
                registry.revoke(subject, "fuzz");
                if (status == IKycRegistry.Status.Active) status = IKycRegistry.Status.Revoked;
            } else if (action == 2) {
                if (status != IKycRegistry.Status.Active) vm.expectRevert(_notActive(subject, certifier));
                vm.prank(subject);
                registry.withdraw(certifier);
                if (status == IKycRegistry.Status.Active) {
                    status = IKycRegistry.Status.Withdrawn;
                    ++nonce;
                }
            } else if (action == 3) {
                bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, certifier, nonce, deadline_);
                if (status != IKycRegistry.Status.Active) vm.expectRevert(_notActive(subject, certifier));
                vm.prank(relayer);
                registry.withdrawBySig(subject, certifier, deadline_, signature);
                if (status == IKycRegistry.Status.Active) {
                    status = IKycRegistry.Status.Withdrawn;
                    ++nonce;
                }
            } else {
                vm.warp(block.timestamp + gaps[i]);
            }
            _assertStatus(subject, certifier, status);
            vm.assertEq(registry.nonces(subject, certifier), nonce, "nonce");
            vm.assertEq(
                registry.isVerified(subject, certifier, DOCUMENT),
                status == IKycRegistry.Status.Active && block.timestamp < expiresAt
            );
        }
    }
}
