// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A contract wallet whose owner key signs for it (ERC-1271), with modes for the ways a wallet can refuse.
contract ERC1271WalletMock is IERC1271 {
    enum Mode {
        Valid,
        WrongMagic,
        Reverting
    }

    /// @dev The suffix of an ERC-6492 wrapper: `abi.encode(factory, factoryCalldata, signature) ++ magic`.
    bytes32 private constant ERC6492_MAGIC = 0x6492649264926492649264926492649264926492649264926492649264926492;

    address public immutable owner;
    Mode public mode;

    error WalletReverted();

    constructor(address owner_) {
        owner = owner_;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @dev In `Valid` mode it also unwraps ERC-6492, as a lenient wallet might, so a test can show the registry
    /// refuses such wrappers itself rather than relying on the wallet.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (mode == Mode.Reverting) revert WalletReverted();
        if (mode == Mode.WrongMagic) return 0xffffffff;
        bytes memory inner = signature;
        if (signature.length >= 32 && bytes32(signature[signature.length - 32:]) == ERC6492_MAGIC) {
            (,, inner) = abi.decode(signature[:signature.length - 32], (address, bytes, bytes));
        }
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, inner);
        return err == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}
