// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IKycRegistry} from "../src/IKycRegistry.sol";
import {ERC1271WalletMock} from "./mocks/ERC1271WalletMock.sol";
import {KycRegistryBase} from "./utils/KycRegistryBase.sol";

/// @notice Gas figures, written to snapshots/KycRegistryGasTest.json. `FORGE_SNAPSHOT_CHECK=true` (with
/// `forge test` or `forge snapshot`) fails when one drifts; plain `forge snapshot --check` does not look at them.
/// @dev `<name>` is the callee's frame as `snapshotGasLastCall` measures it: what the call costs on top of the
/// transaction's intrinsic gas. `<name>, tx` adds that intrinsic gas (21,000 plus calldata, with the Prague
/// EIP-7623 floor) for the whole transaction a certifier or relayer sends. Each test measures one call in a
/// transaction of its own, with no registry storage touched before it, so slots are as cold as on chain.
contract KycRegistryGasTest is KycRegistryBase {
    uint256 internal constant SUBJECT_KEY = 0xA11CE;
    uint256 internal constant FRESH_SUBJECT_KEY = 0xF2E5;
    uint256 internal constant BATCH_KEYS = 0xBA7C4000;

    uint64 internal constant START = 1_700_000_000;
    uint64 internal constant EXPIRES_AT = START + 365 days;
    uint64 internal constant DEADLINE = START + 1 hours;
    bytes32 internal constant ROOT = keccak256("root");
    bytes32 internal constant NEW_ROOT = keccak256("new root");
    string internal constant REASON = "document reported stolen";

    address internal owner = address(0x0A11CE0);
    address internal certifier = address(0xC1);
    address internal relayer = address(0x7E1A7E);
    address internal subject;
    ERC1271WalletMock internal wallet;

    function setUp() public {
        vm.warp(START);
        subject = vm.addr(SUBJECT_KEY);
        _deployRegistry(owner);
        vm.prank(owner);
        registry.addCertifier(certifier, "Acme KYC");
        // An existing attestation (nonce now 1) for the repeat, revoke and withdraw measurements.
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(subject, ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature);
        wallet = new ERC1271WalletMock(vm.addr(FRESH_SUBJECT_KEY));
    }

    function test_Gas_AttestFirst() public {
        address fresh = vm.addr(FRESH_SUBJECT_KEY);
        bytes memory signature = _signAttest(FRESH_SUBJECT_KEY, fresh, certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(fresh, ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature);
        uint256 frame = vm.snapshotGasLastCall("attest (first)");
        _snapshotTx(
            "attest (first), tx",
            abi.encodeCall(registry.attest, (fresh, ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature)),
            frame
        );
        vm.assertEq(registry.nonces(fresh, certifier), 1);
    }

    /// @dev A subject that is a contract wallet: its `isValidSignature` is asked after the key check fails.
    function test_Gas_AttestFirstContractWallet() public {
        bytes memory signature = _signAttest(FRESH_SUBJECT_KEY, address(wallet), certifier, ROOT, 0, DEADLINE);
        vm.prank(certifier);
        registry.attest(address(wallet), ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature);
        vm.snapshotGasLastCall("attest (first, ERC-1271 wallet)");
    }

    function test_Gas_AttestRepeated() public {
        bytes memory signature = _signAttest(SUBJECT_KEY, subject, certifier, NEW_ROOT, 1, DEADLINE);
        vm.prank(certifier);
        registry.attest(subject, NEW_ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature);
        uint256 frame = vm.snapshotGasLastCall("attest (repeated, same pair)");
        _snapshotTx(
            "attest (repeated, same pair), tx",
            abi.encodeCall(registry.attest, (subject, NEW_ROOT, DOCUMENT | FACE, EXPIRES_AT, DEADLINE, signature)),
            frame
        );
        vm.assertEq(registry.nonces(subject, certifier), 2);
    }

    function test_Gas_AttestBatch10() public {
        _measureBatch(10);
    }

    function test_Gas_AttestBatch100() public {
        _measureBatch(100);
    }

    function test_Gas_Revoke() public {
        vm.prank(certifier);
        registry.revoke(subject, REASON);
        uint256 frame = vm.snapshotGasLastCall("revoke");
        _snapshotTx("revoke, tx", abi.encodeCall(registry.revoke, (subject, REASON)), frame);
    }

    function test_Gas_Withdraw() public {
        vm.prank(subject);
        registry.withdraw(certifier);
        uint256 frame = vm.snapshotGasLastCall("withdraw");
        _snapshotTx("withdraw, tx", abi.encodeCall(registry.withdraw, (certifier)), frame);
    }

    function test_Gas_WithdrawBySig() public {
        bytes memory signature = _signWithdraw(SUBJECT_KEY, subject, certifier, 1, DEADLINE);
        vm.prank(relayer);
        registry.withdrawBySig(subject, certifier, DEADLINE, signature);
        uint256 frame = vm.snapshotGasLastCall("withdrawBySig");
        _snapshotTx(
            "withdrawBySig, tx",
            abi.encodeCall(registry.withdrawBySig, (subject, certifier, DEADLINE, signature)),
            frame
        );
    }

    /// @dev As another contract pays it inside its own transaction: no intrinsic gas of its own.
    function test_Gas_IsVerified() public {
        vm.assertTrue(registry.isVerified(subject, certifier, DOCUMENT));
        vm.snapshotGasLastCall("isVerified");
    }

    function _measureBatch(uint256 n) internal {
        IKycRegistry.AttestInput[] memory inputs = new IKycRegistry.AttestInput[](n);
        for (uint256 i; i < n; ++i) {
            address batchSubject = vm.addr(BATCH_KEYS + i);
            bytes32 root = keccak256(abi.encode(ROOT, i));
            inputs[i] = IKycRegistry.AttestInput({
                subject: batchSubject,
                root: root,
                evidence: DOCUMENT | FACE,
                expiresAt: EXPIRES_AT,
                deadline: DEADLINE,
                signature: _signAttest(BATCH_KEYS + i, batchSubject, certifier, root, 0, DEADLINE)
            });
        }
        vm.prank(certifier);
        registry.attestBatch(inputs);
        string memory name = string.concat("attestBatch (", vm.toString(n), ")");
        uint256 frame = vm.snapshotGasLastCall(name);
        uint256 whole = _snapshotTx(string.concat(name, ", tx"), abi.encodeCall(registry.attestBatch, (inputs)), frame);
        vm.snapshotValue(string.concat(name, ", per attestation"), frame / n);
        vm.snapshotValue(string.concat(name, ", tx per attestation"), whole / n);
        vm.assertEq(registry.nonces(inputs[n - 1].subject, certifier), 1);
    }

    /// @dev Records the whole transaction: 21,000 + 4 gas per calldata token (a zero byte is one token, any
    /// other byte four) + execution, but at least 21,000 + 10 per token (EIP-7623). No refunds arise here.
    function _snapshotTx(string memory name, bytes memory callData, uint256 frame) internal returns (uint256 gas) {
        uint256 tokens;
        for (uint256 i; i < callData.length; ++i) {
            tokens += callData[i] == 0 ? 1 : 4;
        }
        uint256 standard = 21_000 + 4 * tokens + frame;
        uint256 floor = 21_000 + 10 * tokens;
        gas = standard > floor ? standard : floor;
        vm.snapshotValue(name, gas);
    }
}
