// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Batch reader
/// @notice Never deployed: its creation code is sent as the data of one `eth_call` without a
/// recipient. The constructor makes every read and returns the block number with the results as
/// the call's output, so many views are read at one block, in one round trip, on any node.
contract BatchReader {
    /// @notice One read: a static call of `target` with `data`, given at most `gas`.
    struct Read {
        address target;
        uint64 gas;
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
            if (read.target.code.length == 0) continue;
            (results[i].success, results[i].data) = read.target.staticcall{gas: read.gas}(read.data);
        }
        bytes memory output = abi.encode(block.number, results);
        assembly ("memory-safe") {
            return(add(output, 0x20), mload(output))
        }
    }
}
