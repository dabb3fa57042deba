// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IKycRegistry} from "../../src/IKycRegistry.sol";
import {KycRegistry} from "../../src/KycRegistry.sol";
import {InvariantTest} from "../utils/Test.sol";
import {KycRegistryBase} from "../utils/KycRegistryBase.sol";

/// @notice Drives a registry with a few known subject keys and certifiers, signing every request properly,
/// and keeps ghost records of what the subjects signed and how many of their signatures were used.
contract KycRegistryHandler is KycRegistryBase {
    uint256 public constant SUBJECTS = 4;
    uint256 public constant CERTIFIERS = 3;
    uint256 internal constant FIRST_SUBJECT_KEY = 0x5B1EC7;

    address public immutable owner;
    address[SUBJECTS] public subjects;
    address[CERTIFIERS] public certifiers;

    /// @notice Roots each subject signed an `AttestRequest` for, per certifier.
    mapping(address subject => mapping(address certifier => mapping(bytes32 root => bool))) public signedRoot;
    /// @notice What used up the pair's nonce: accepted attestations and withdrawals (direct or signed).
    mapping(address subject => mapping(address certifier => uint64)) public consumed;
    /// @notice The highest nonce seen for the pair after any call.
    mapping(address subject => mapping(address certifier => uint64)) public highestNonce;

    bool public nonceDecreased;
    bool public forgeryAccepted;
    /// @notice A properly signed request by a current certifier, or a legitimate revoke/withdraw, failed.
    bool public validCallRefused;

    constructor(KycRegistry registry_, address owner_) {
        _useRegistry(registry_);
        owner = owner_;
        for (uint256 i; i < SUBJECTS; ++i) {
            subjects[i] = vm.addr(FIRST_SUBJECT_KEY + i);
        }
        certifiers = [address(0xC0), address(0xC1), address(0xC2)];
    }

    // ----------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------

    function attest(uint256 subjectSeed, uint256 certifierSeed, bytes32 root, uint256 evidence, uint256 validFor)
        external
    {
        (uint256 key, address subject) = _subject(subjectSeed);
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        root = bytes32(bound(uint256(root), 1, type(uint256).max));
        uint16 evidence_ = uint16(bound(evidence, 0, ALL_EVIDENCE));
        uint64 expiresAt = uint64(block.timestamp + bound(validFor, 1, 730 days));
        uint64 deadline = uint64(block.timestamp + 1 hours);
        uint64 nonce = registry.nonces(subject, certifier);
        bytes memory signature = _signAttest(key, subject, certifier, root, nonce, deadline);
        signedRoot[subject][certifier][root] = true;

        vm.prank(certifier);
        try registry.attest(subject, root, evidence_, expiresAt, deadline, signature) {
            ++consumed[subject][certifier];
        } catch {
            if (registry.isCertifier(certifier)) validCallRefused = true;
        }
        _observeNonces();
    }

    function attestBatch(uint256 certifierSeed, uint256 count, bytes32 rootSeed) external {
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        count = bound(count, 1, SUBJECTS);
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](count);
        for (uint256 i; i < count; ++i) {
            address subject = subjects[i];
            bytes32 root = keccak256(abi.encode(rootSeed, i));
            uint64 deadline = uint64(block.timestamp + 1 hours);
            inputs[i] = IKycRegistry.AttestInput({
                subject: subject,
                root: root,
                evidence: DOCUMENT,
                expiresAt: uint64(block.timestamp + 365 days),
                deadline: deadline,
                signature: _signAttest(
                    FIRST_SUBJECT_KEY + i, subject, certifier, root, registry.nonces(subject, certifier), deadline
                )
            });
            signedRoot[subject][certifier][root] = true;
        }
        vm.prank(certifier);
        try registry.attestBatch(inputs) {
            for (uint256 i; i < count; ++i) {
                ++consumed[subjects[i]][certifier];
            }
        } catch {
            if (registry.isCertifier(certifier)) validCallRefused = true;
        }
        _observeNonces();
    }

    /// @notice Tries to record a root the subject never signed: a stranger's key, a stale or future nonce,
    /// the high-s twin, or a signature for another chain.
    function attestForged(uint256 subjectSeed, uint256 certifierSeed, uint256 forgerKey, uint256 kind) external {
        (uint256 key, address subject) = _subject(subjectSeed);
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        bytes32 root = keccak256(abi.encode("never signed", subjectSeed, forgerKey));
        uint64 deadline = uint64(block.timestamp + 1 hours);
        uint64 nonce = registry.nonces(subject, certifier);
        bytes memory signature;
        kind = kind % 4;
        if (kind == 0) {
            forgerKey = bound(forgerKey, 1, SECP256K1_N - 1);
            if (vm.addr(forgerKey) == subject) forgerKey = forgerKey == 1 ? 2 : forgerKey - 1;
            signature = _signAttest(forgerKey, subject, certifier, root, nonce, deadline);
        } else if (kind == 1) {
            uint64 wrongNonce = nonce == 0 ? 1 : (forgerKey % 2 == 0 ? nonce - 1 : nonce + 1);
            signature = _signAttest(key, subject, certifier, root, wrongNonce, deadline);
        } else if (kind == 2) {
            bytes32 digest = _attestDigest(block.chainid, address(registry), subject, certifier, root, nonce, deadline);
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
            signature = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        } else {
            bytes32 digest =
                _attestDigest(block.chainid + 1, address(registry), subject, certifier, root, nonce, deadline);
            signature = _sign(key, digest);
        }

        vm.prank(certifier);
        try registry.attest(subject, root, DOCUMENT, uint64(block.timestamp + 365 days), deadline, signature) {
            forgeryAccepted = true;
        } catch {}
        _observeNonces();
    }

    function revoke(uint256 subjectSeed, uint256 certifierSeed) external {
        (, address subject) = _subject(subjectSeed);
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        bool active = _status(subject, certifier) == IKycRegistry.Status.Active;
        vm.prank(certifier);
        try registry.revoke(subject, "invariant") {}
        catch {
            if (active) validCallRefused = true;
        }
        _observeNonces();
    }

    function withdraw(uint256 subjectSeed, uint256 certifierSeed) external {
        (, address subject) = _subject(subjectSeed);
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        bool active = _status(subject, certifier) == IKycRegistry.Status.Active;
        vm.prank(subject);
        try registry.withdraw(certifier) {
            ++consumed[subject][certifier];
        } catch {
            if (active) validCallRefused = true;
        }
        _observeNonces();
    }

    function withdrawBySig(uint256 subjectSeed, uint256 certifierSeed, address relayer) external {
        (uint256 key, address subject) = _subject(subjectSeed);
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        if (relayer == VM_ADDRESS) relayer = address(this);
        bool active = _status(subject, certifier) == IKycRegistry.Status.Active;
        uint64 deadline = uint64(block.timestamp + 1 hours);
        bytes memory signature = _signWithdraw(key, subject, certifier, registry.nonces(subject, certifier), deadline);
        vm.prank(relayer);
        try registry.withdrawBySig(subject, certifier, deadline, signature) {
            ++consumed[subject][certifier];
        } catch {
            if (active) validCallRefused = true;
        }
        _observeNonces();
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 120 days));
    }

    function removeCertifier(uint256 certifierSeed) external {
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        vm.prank(owner);
        try registry.removeCertifier(certifier) {} catch {}
    }

    function addCertifier(uint256 certifierSeed) external {
        address certifier = certifiers[certifierSeed % CERTIFIERS];
        vm.prank(owner);
        try registry.addCertifier(certifier, "Certifier") {} catch {}
    }

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------

    function _subject(uint256 seed) internal view returns (uint256 key, address subject) {
        uint256 i = seed % SUBJECTS;
        return (FIRST_SUBJECT_KEY + i, subjects[i]);
    }

    function _observeNonces() internal {
        for (uint256 i; i < SUBJECTS; ++i) {
            for (uint256 j; j < CERTIFIERS; ++j) {
                uint64 nonce = registry.nonces(subjects[i], certifiers[j]);
                if (nonce < highestNonce[subjects[i]][certifiers[j]]) nonceDecreased = true;
                else highestNonce[subjects[i]][certifiers[j]] = nonce;
            }
        }
    }
}

contract KycRegistryInvariantTest is InvariantTest {
    uint16 internal constant DOCUMENT = 1;

    KycRegistry internal registry;
    KycRegistryHandler internal handler;

    function setUp() public {
        vm.warp(1_700_000_000);
        address owner = address(0x0A11CE0);
        registry = new KycRegistry(owner);
        handler = new KycRegistryHandler(registry, owner);
        vm.startPrank(owner);
        registry.addCertifier(handler.certifiers(0), "Certifier 0");
        registry.addCertifier(handler.certifiers(1), "Certifier 1");
        vm.stopPrank();

        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = KycRegistryHandler.attest.selector;
        selectors[1] = KycRegistryHandler.attestBatch.selector;
        selectors[2] = KycRegistryHandler.attestForged.selector;
        selectors[3] = KycRegistryHandler.revoke.selector;
        selectors[4] = KycRegistryHandler.withdraw.selector;
        selectors[5] = KycRegistryHandler.withdrawBySig.selector;
        selectors[6] = KycRegistryHandler.warp.selector;
        selectors[7] = KycRegistryHandler.removeCertifier.selector;
        selectors[8] = KycRegistryHandler.addCertifier.selector;
        selectors[9] = KycRegistryHandler.attest.selector; // attest twice as often as the rest
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @notice Every attestation the registry holds (active or ended) used up a subject signature, and its
    /// root is one the subject signed for that certifier.
    function invariant_NoAttestationWithoutSignature() public view {
        for (uint256 i; i < handler.SUBJECTS(); ++i) {
            for (uint256 j; j < handler.CERTIFIERS(); ++j) {
                address subject = handler.subjects(i);
                address certifier = handler.certifiers(j);
                IKycRegistry.Attestation memory stored = registry.attestation(subject, certifier);
                if (stored.status == IKycRegistry.Status.None) continue;
                vm.assertGt(registry.nonces(subject, certifier), 0);
                vm.assertTrue(handler.signedRoot(subject, certifier, stored.root), "root never signed");
            }
        }
        vm.assertFalse(handler.forgeryAccepted(), "forged request accepted");
    }

    function invariant_NoncesNeverDecrease() public view {
        vm.assertFalse(handler.nonceDecreased(), "a nonce went down");
        for (uint256 i; i < handler.SUBJECTS(); ++i) {
            for (uint256 j; j < handler.CERTIFIERS(); ++j) {
                address subject = handler.subjects(i);
                address certifier = handler.certifiers(j);
                vm.assertGe(
                    registry.nonces(subject, certifier), handler.highestNonce(subject, certifier), "nonce below seen"
                );
            }
        }
    }

    /// @notice A nonce counts exactly the pair's attestations and withdrawals (direct or signed).
    function invariant_NonceCountsAttestationsAndWithdrawals() public view {
        for (uint256 i; i < handler.SUBJECTS(); ++i) {
            for (uint256 j; j < handler.CERTIFIERS(); ++j) {
                address subject = handler.subjects(i);
                address certifier = handler.certifiers(j);
                vm.assertEq(registry.nonces(subject, certifier), handler.consumed(subject, certifier));
            }
        }
    }

    function invariant_IsVerifiedMatchesRecord() public view {
        for (uint256 i; i < handler.SUBJECTS(); ++i) {
            for (uint256 j; j < handler.CERTIFIERS(); ++j) {
                address subject = handler.subjects(i);
                address certifier = handler.certifiers(j);
                IKycRegistry.Attestation memory stored = registry.attestation(subject, certifier);
                bool expected = stored.status == IKycRegistry.Status.Active && block.timestamp < stored.expiresAt
                    && registry.isCertifier(certifier);
                vm.assertEq(registry.isVerified(subject, certifier, 0), expected);
                vm.assertEq(
                    registry.isVerified(subject, certifier, stored.evidence | DOCUMENT),
                    expected && stored.evidence & DOCUMENT != 0
                );
            }
        }
    }

    function invariant_ValidCallsSucceed() public view {
        vm.assertFalse(handler.validCallRefused(), "a valid call was refused");
    }
}
