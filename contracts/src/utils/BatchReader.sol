// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Batch reader
/// @notice Never deployed: its creation code is sent as the data of one `eth_call` without a
/// recipient. The constructor makes every read and returns the block number with the results as
/// the call's output, so many views are read at one block, in one round trip, on any node.
/// @dev The output is returned as the created contract's code, so nodes cap it at 24,576 bytes
/// (EIP-170), as they cap the creation code at 49,152 (EIP-3860): callers size their batches.
contract BatchReader {
    /// @notice One read: a static call of `target` with `data`, given at most `gas`, of which at
    /// most `maxReturn` bytes of the answer are kept.
    struct Read {
        address target;
        uint64 gas;
        uint32 maxReturn;
        bytes data;
    }

    /// @notice What one read returned; `success` is false when the target has no code (an account
    /// or a precompile), or the call reverted or ran out of gas.
    struct ReadResult {
        bool success;
        bytes data;
    }

    /// @notice Makes every read and returns `abi.encode(block.number, results)` as the call's output.
    constructor(Read[] memory reads) {
        ReadResult[] memory results = new ReadResult[](reads.length);
        for (uint256 i; i < reads.length; ++i) {
            Read memory read = reads[i];
            bytes memory data = new bytes(read.maxReturn);
            results[i].data = data;
            if (read.target.code.length == 0) {
                _setLength(data, 0);
                continue;
            }
            (address target, uint256 gasAllowed, bytes memory input) = (read.target, read.gas, read.data);
            bool success;
            uint256 size;
            // Only up to `maxReturn` bytes are copied, so a long answer costs this call nothing.
            assembly ("memory-safe") {
                success := staticcall(gasAllowed, target, add(input, 0x20), mload(input), add(data, 0x20), mload(data))
                size := returndatasize()
            }
            results[i].success = success;
            if (size < data.length) _setLength(data, size);
        }
        bytes memory output = abi.encode(block.number, results);
        assembly ("memory-safe") {
            return(add(output, 0x20), mload(output))
        }
    }

    /// @dev Shortens `data` in place.
    function _setLength(bytes memory data, uint256 length) private pure {
        assembly ("memory-safe") {
            mstore(data, length)
        }
    }
}
