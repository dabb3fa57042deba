// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Batch reader
/// @notice Never deployed: its creation code is sent as the data of one `eth_call` without a
/// recipient. The constructor makes every read and returns the block number with the results as
/// the call's output, so many views are read at one block, in one round trip, on any node.
/// @dev The output is returned as the created contract's code, so nodes cap it at 24,576 bytes
/// (EIP-170), as they cap the creation code at 49,152 (EIP-3860): callers size their batches.
/// The results are packed, with no ABI encoding, to fit as many as the cap allows.
contract BatchReader {
    /// @notice One read: a static call of `target` with `data`, given at most `gas`, of which at
    /// most `maxReturn` bytes of the answer are kept.
    struct Read {
        address target;
        uint64 gas;
        uint32 maxReturn;
        bytes data;
    }

    /// @notice Makes every read and returns, as the call's output, the block number (32 bytes)
    /// followed by each read's result in order: a byte that is 1 when the read succeeded and 0
    /// when the target has no code (an account or a precompile), or the call reverted or ran out
    /// of gas; the length of the answer kept (4 bytes, big-endian); and the answer kept.
    constructor(Read[] memory reads) {
        uint256 size = 32;
        for (uint256 i; i < reads.length; ++i) {
            size += 5 + reads[i].maxReturn;
        }
        bytes memory output = new bytes(size);
        uint256 at;
        assembly ("memory-safe") {
            at := add(output, 0x20)
            mstore(at, number())
            at := add(at, 0x20)
        }
        for (uint256 i; i < reads.length; ++i) {
            Read memory read = reads[i];
            bool success;
            uint256 kept;
            if (read.target.code.length != 0) {
                (address target, uint256 gasAllowed, bytes memory input, uint256 maxReturn) =
                    (read.target, read.gas, read.data, read.maxReturn);
                // Only up to `maxReturn` bytes are copied, so a long answer costs this call nothing.
                assembly ("memory-safe") {
                    success := staticcall(gasAllowed, target, add(input, 0x20), mload(input), add(at, 5), maxReturn)
                    kept := returndatasize()
                    if gt(kept, maxReturn) { kept := maxReturn }
                }
            }
            // Byte by byte: a word written here would overwrite the answer after it.
            assembly ("memory-safe") {
                mstore8(at, success)
                mstore8(add(at, 1), shr(24, kept))
                mstore8(add(at, 2), shr(16, kept))
                mstore8(add(at, 3), shr(8, kept))
                mstore8(add(at, 4), kept)
                at := add(at, add(5, kept))
            }
        }
        assembly ("memory-safe") {
            let start := add(output, 0x20)
            return(start, sub(at, start))
        }
    }
}
