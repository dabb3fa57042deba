//! Reads from the chain: attestations, certifier names and ERC-1271 answers for
//! many submissions at once. The reads run inside one `eth_call` of the
//! [`BatchReader`]'s creation code, which also returns the block number, so a batch
//! is read at one block in one round trip; larger batches are split into several
//! such calls, sent together as one JSON-RPC batch.

use std::{collections::BTreeMap, future::IntoFuture};

use alloy::{
    eips::BlockId,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider},
    rpc::{client::BatchRequest, types::TransactionRequest},
    sol_types::{SolCall, SolConstructor},
    transports::{RpcError, TransportErrorKind},
};
use kyc_contracts::{BatchReader, KycRegistry};
use kyc_core::attestation::{Attestation, Status};

use crate::{Error, Result};

/// The most reads one request to the node carries unless told otherwise: the reads of
/// one `eth_call`, and the calls of one JSON-RPC batch.
pub const DEFAULT_BATCH_LIMIT: usize = 500;

/// Gas a subject contract's `isValidSignature` may use; one that uses more refuses.
const CONTRACT_SIGNATURE_GAS: u64 = 100_000;
/// The most gas the subject contracts of one `eth_call` may use together, well under
/// the gas cap nodes put on `eth_call` (30 to 50 million), so that contracts burning
/// their allowance cannot make the whole call fail.
const CONTRACT_GAS_PER_CALL: u64 = 15_000_000;

/// The most bytes of creation code a node runs, in `eth_call` too (EIP-3860).
const MAX_INITCODE_SIZE: usize = 49_152;
/// The most bytes of code a creation may return (EIP-170): a batch reader's output.
const MAX_OUTPUT_SIZE: usize = 24_576;
/// An attestation as the registry returns it: five words.
const ATTESTATION_SIZE: u32 = 5 * 32;
/// A packed result's flag byte and 4-byte length, before its data.
const RESULT_HEADER_SIZE: usize = 5;
/// The longest certifier name read, ABI-encoded; a longer one does not decode.
const MAX_NAME_SIZE: u32 = 1024;

/// ERC-1271's answer for a valid signature, as an ABI word: `isValidSignature.selector`
/// (`0x1626ba7e`) followed by 28 zero bytes.
const ERC1271_MAGIC_WORD: B256 = B256::new([
    0x16, 0x26, 0xba, 0x7e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,
]);

/// What one read of a [`BatchReader`] returned: `success` is false when the target has
/// no code, or the call reverted or ran out of gas.
#[derive(Debug, PartialEq)]
struct ReadResult {
    success: bool,
    data: Bytes,
}

alloy::sol! {
    /// ERC-1271: a contract account's signature check.
    interface IERC1271 {
        /// Returns `0x1626ba7e` when `signature` is the account's for `hash`.
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4 magicValue);
    }
}

/// One `eth_call` of a [`BatchReader`]: its creation code, and how many reads it makes.
#[derive(Clone)]
struct ReaderCall {
    code: Bytes,
    reads: usize,
}

/// What to read for one submission.
pub(crate) struct Query {
    pub(crate) subject: Address,
    pub(crate) certifier: Address,
    /// The digest and signature to put to the subject's `isValidSignature`, if any.
    pub(crate) contract_signature: Option<(B256, Bytes)>,
}

impl Query {
    /// What to read for `submission`, with the digest and signature to put to the
    /// subject's `isValidSignature` if any.
    pub(crate) fn of(
        submission: &kyc_core::files::Submission,
        contract_signature: Option<(B256, Bytes)>,
    ) -> Self {
        Self {
            subject: submission.subject,
            certifier: submission.certifier,
            contract_signature,
        }
    }
}

/// What the chain said for one [`Query`].
pub(crate) struct Answer {
    /// The attestation, unless the registry has none for the pair.
    pub(crate) attestation: Option<Attestation>,
    /// The certifier's registry name; empty for one that is not current.
    pub(crate) certifier_name: String,
    /// The subject contract's ERC-1271 answer, when asked.
    pub(crate) contract_accepts: Option<bool>,
}

/// A registry on a chain, read through one provider.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    provider: DynProvider,
    registry: Address,
    chain_id: u64,
    batch_limit: usize,
}

impl Chain {
    /// Asks the endpoint for its chain ID, and checks the registry has code, both at once.
    pub(crate) async fn connect(provider: DynProvider, registry: Address) -> Result<Self> {
        let (chain_id, code) = futures_util::future::join(
            provider.get_chain_id(),
            provider.get_code_at(registry).into_future(),
        )
        .await;
        let chain_id = chain_id.map_err(rpc_error)?;
        if code.map_err(rpc_error)?.is_empty() {
            let block = provider.get_block_number().await.map_err(rpc_error)?;
            return Err(Error::NoRegistry {
                registry,
                chain_id,
                block,
            });
        }
        Ok(Self {
            provider,
            registry,
            chain_id,
            batch_limit: DEFAULT_BATCH_LIMIT,
        })
    }

    pub(crate) fn chain_id(&self) -> u64 {
        self.chain_id
    }

    pub(crate) fn registry(&self) -> Address {
        self.registry
    }

    /// Sets the most reads of one `eth_call`, and calls of one JSON-RPC batch (at least 1).
    pub(crate) fn set_batch_limit(&mut self, limit: usize) {
        self.batch_limit = limit.max(1);
    }

    pub(crate) fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Reads every query at block `at` (the latest, or the head a watcher read logs to),
    /// and returns that block.
    ///
    /// Confirmations delay only what makes a person look better: status, expiry, evidence
    /// and certifier membership are read at the latest block, so a revocation,
    /// withdrawal or removal counts at once; with `confirmations > 0`, the attestations
    /// are read again `confirmations` blocks back, and one counts only if the same
    /// record (root and issue time) was there already.
    pub(crate) async fn read(
        &self,
        queries: &[Query],
        confirmations: u64,
        at: BlockId,
    ) -> Result<(u64, Vec<Answer>)> {
        let mut names = BTreeMap::new();
        for query in queries {
            names.entry(query.certifier).or_insert_with(String::new);
        }
        let registry_read = |data: Vec<u8>, max_return: u32| BatchReader::Read {
            target: self.registry,
            // The registry is trusted: its reads may use what the call has left.
            gas: u64::MAX,
            maxReturn: max_return,
            data: data.into(),
        };
        let attestation_reads: Vec<BatchReader::Read> = queries
            .iter()
            .map(|query| {
                registry_read(
                    KycRegistry::attestationCall {
                        subject: query.subject,
                        certifier: query.certifier,
                    }
                    .abi_encode(),
                    ATTESTATION_SIZE,
                )
            })
            .collect();
        let mut reads = attestation_reads.clone();
        reads.extend(names.keys().map(|certifier| {
            registry_read(
                KycRegistry::certifierNameCall {
                    certifier: *certifier,
                }
                .abi_encode(),
                MAX_NAME_SIZE,
            )
        }));
        reads.extend(queries.iter().filter_map(|query| {
            let (hash, signature) = query.contract_signature.clone()?;
            Some(contract_signature_read(query.subject, hash, signature))
        }));
        let (block, results) = self.read_all(reads, at).await?;
        let mut results = results.into_iter();

        let mut attestations = Vec::with_capacity(queries.len());
        for result in results.by_ref().take(queries.len()) {
            attestations.push(self.attestation(result, block)?);
        }
        if confirmations > 0 && !queries.is_empty() {
            let confirmed = block.saturating_sub(confirmations);
            let (_, then) = self
                .read_all(attestation_reads, BlockId::number(confirmed))
                .await?;
            for (attestation, then) in attestations.iter_mut().zip(then) {
                let then = self.attestation(then, confirmed)?;
                let same_record = |now: &Attestation| {
                    then.is_some_and(|then| {
                        (then.root, then.issued_at) == (now.root, now.issued_at)
                    })
                };
                *attestation = attestation.filter(same_record);
            }
        }
        for name in names.values_mut() {
            let output = self.registry_output(results.next().ok_or_else(missing_answer)?, block)?;
            *name = KycRegistry::certifierNameCall::abi_decode_returns(&output)
                .map_err(|e| Error::Rpc(format!("undecodable certifier name: {e}")))?;
        }
        let mut answers = Vec::with_capacity(queries.len());
        for (query, attestation) in queries.iter().zip(attestations) {
            let contract_accepts = match query.contract_signature {
                Some(_) => Some(contract_answer(results.next().ok_or_else(missing_answer)?)),
                None => None,
            };
            answers.push(Answer {
                attestation,
                certifier_name: names.get(&query.certifier).cloned().unwrap_or_default(),
                contract_accepts,
            });
        }
        Ok((block, answers))
    }

    /// Whether the contract at `subject` accepts `signature` for `hash` (ERC-1271), at the
    /// latest block, with the same rules as a submission's check.
    pub(crate) async fn contract_accepts(
        &self,
        subject: Address,
        hash: B256,
        signature: Bytes,
    ) -> Result<bool> {
        let accepts = self
            .contracts_accept(vec![(subject, hash, signature)], BlockId::latest())
            .await?;
        accepts.first().copied().ok_or_else(missing_answer)
    }

    /// [`contract_accepts`](Self::contract_accepts) for each `(subject, hash, signature)`,
    /// at block `at`, in as few round trips as the batch limit allows.
    pub(crate) async fn contracts_accept(
        &self,
        checks: Vec<(Address, B256, Bytes)>,
        at: BlockId,
    ) -> Result<Vec<bool>> {
        let reads = checks
            .into_iter()
            .map(|(subject, hash, signature)| contract_signature_read(subject, hash, signature))
            .collect();
        let (_, results) = self.read_all(reads, at).await?;
        Ok(results.into_iter().map(contract_answer).collect())
    }

    /// The attestation in a registry read at `block`, or `None` when the registry has
    /// none for the pair (status `none`).
    fn attestation(&self, result: ReadResult, block: u64) -> Result<Option<Attestation>> {
        let output = self.registry_output(result, block)?;
        let read = KycRegistry::attestationCall::abi_decode_returns(&output)
            .map_err(|e| Error::Rpc(format!("undecodable attestation: {e}")))?;
        let attestation = Attestation::from_abi(
            read.root,
            read.issuedAt,
            read.expiresAt,
            read.evidence,
            read.status,
        )
        .map_err(|e| Error::Rpc(format!("undecodable attestation: {e}")))?;
        Ok(Some(attestation).filter(|found| found.status != Status::None))
    }

    /// Makes `reads` at one block (`at`, or the latest), in as few round trips as the
    /// batch limit allows: one, unless a block is mined while a batch of several calls
    /// is read, and then one more for the calls that read an older block.
    async fn read_all(
        &self,
        reads: Vec<BatchReader::Read>,
        at: BlockId,
    ) -> Result<(u64, Vec<ReadResult>)> {
        let calls = self.split(reads);
        let mut answered = self.call_all(&calls, at).await?;
        let block = answered
            .iter()
            .map(|(block, _)| *block)
            .max()
            .unwrap_or_default();
        let stale: Vec<usize> = (0..calls.len())
            .filter(|&index| answered[index].0 != block)
            .collect();
        if !stale.is_empty() {
            let again: Vec<ReaderCall> = stale.iter().map(|&index| calls[index].clone()).collect();
            let reread = self.call_all(&again, BlockId::number(block)).await?;
            for (index, answer) in stale.into_iter().zip(reread) {
                answered[index] = answer;
            }
        }
        if let Some((other, _)) = answered.iter().find(|(at, _)| *at != block) {
            return Err(Error::Rpc(format!(
                "asked for block {block}, the node answered for block {other}"
            )));
        }
        Ok((
            block,
            answered
                .into_iter()
                .flat_map(|(_, results)| results)
                .collect(),
        ))
    }

    /// The creation code of a [`BatchReader`] for each part of `reads`: at most the batch
    /// limit of reads, within the sizes nodes take ([`MAX_INITCODE_SIZE`] in,
    /// [`MAX_OUTPUT_SIZE`] out), and subject contracts' gas within
    /// [`CONTRACT_GAS_PER_CALL`]. No reads still make one call, which tells the block.
    fn split(&self, reads: Vec<BatchReader::Read>) -> Vec<ReaderCall> {
        // The constructor's argument: its offset and the array's length; the output: the
        // block number.
        let (empty_input, empty_output) = (BatchReader::BYTECODE.len() + 64, 32);
        let mut parts = vec![Vec::new()];
        let (mut contract_gas, mut input, mut output) = (0, empty_input, empty_output);
        for read in reads {
            let gas = match read.target == self.registry {
                true => 0,
                false => read.gas,
            };
            // A read: its offset, four head words, the data's length and padded data.
            let read_input = 6 * 32 + read.data.len().div_ceil(32) * 32;
            // A result: its flag, its length and its data, packed.
            let read_output = RESULT_HEADER_SIZE + read.maxReturn as usize;
            let part = parts.last_mut().filter(|part| {
                part.len() < self.batch_limit
                    && contract_gas + gas <= CONTRACT_GAS_PER_CALL
                    && input + read_input <= MAX_INITCODE_SIZE
                    && output + read_output <= MAX_OUTPUT_SIZE
            });
            match part {
                Some(part) => part.push(read),
                None => {
                    (contract_gas, input, output) = (0, empty_input, empty_output);
                    parts.push(vec![read]);
                }
            }
            contract_gas += gas;
            input += read_input;
            output += read_output;
        }
        parts
            .into_iter()
            .map(|reads| {
                let count = reads.len();
                let arguments = BatchReader::constructorCall { reads }.abi_encode();
                debug_assert!(BatchReader::BYTECODE.len() + arguments.len() <= MAX_INITCODE_SIZE);
                ReaderCall {
                    code: [BatchReader::BYTECODE.as_ref(), &arguments].concat().into(),
                    reads: count,
                }
            })
            .collect()
    }

    /// Runs each of `calls` as an `eth_call` at `at`, at most the batch limit per
    /// JSON-RPC batch; returns each call's block number and results, one per read.
    async fn call_all(
        &self,
        calls: &[ReaderCall],
        at: BlockId,
    ) -> Result<Vec<(u64, Vec<ReadResult>)>> {
        let mut answered = Vec::with_capacity(calls.len());
        for chunk in calls.chunks(self.batch_limit) {
            let mut batch = BatchRequest::new(self.provider.client());
            let waiters = chunk
                .iter()
                .map(|reader| {
                    let call = TransactionRequest::default().input(reader.code.clone().into());
                    batch.add_call::<_, Bytes>("eth_call", &(call, at))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(rpc_error)?;
            batch.send().await.map_err(rpc_error)?;
            for (waiter, reader) in waiters.into_iter().zip(chunk) {
                let output = waiter.await.map_err(rpc_error)?;
                answered.push(decode_batch(&output, reader.reads)?);
            }
        }
        Ok(answered)
    }

    /// A registry read's output; a failed or empty read means no contract at the
    /// address at that block.
    fn registry_output(&self, result: ReadResult, block: u64) -> Result<Bytes> {
        if !result.success || result.data.is_empty() {
            return Err(Error::NoRegistry {
                registry: self.registry,
                chain_id: self.chain_id,
                block,
            });
        }
        Ok(result.data)
    }
}

/// A [`BatchReader`]'s output for `reads` reads: the block number (a 32-byte word),
/// then each result packed: a flag byte (1 when the read succeeded), the length of the
/// data kept (4 bytes, big-endian) and the data, which the results share with `output`.
/// An output with another number of results is refused: results would go to other reads.
fn decode_batch(output: &Bytes, reads: usize) -> Result<(u64, Vec<ReadResult>)> {
    let undecodable = |what: &str| Error::Rpc(format!("undecodable batch of reads: {what}"));
    let (block, _) = output
        .split_first_chunk::<32>()
        .ok_or_else(|| undecodable("no block number"))?;
    let block = U256::from_be_bytes(*block);
    let block = u64::try_from(block)
        .map_err(|_| Error::Rpc(format!("block number {block} out of range")))?;
    let mut results = Vec::with_capacity(reads);
    let mut at = 32;
    while at < output.len() {
        let Some((header, _)) = output[at..].split_first_chunk::<RESULT_HEADER_SIZE>() else {
            return Err(undecodable("a result cut short"));
        };
        let [flag, length @ ..] = *header;
        let success = match flag {
            0 => false,
            1 => true,
            _ => return Err(undecodable("a flag other than 0 or 1")),
        };
        let start = at + RESULT_HEADER_SIZE;
        let end = start + u32::from_be_bytes(length) as usize;
        if end > output.len() {
            return Err(undecodable("a result longer than the output"));
        }
        results.push(ReadResult {
            success,
            data: output.slice(start..end),
        });
        at = end;
    }
    if results.len() != reads {
        return Err(undecodable(&format!(
            "{} results for {reads} reads",
            results.len()
        )));
    }
    Ok((block, results))
}

/// The read that puts `signature` for `hash` to the contract at `subject` (ERC-1271),
/// with a bounded gas allowance, keeping the answer's first word (what follows it does
/// not count, as on chain).
fn contract_signature_read(subject: Address, hash: B256, signature: Bytes) -> BatchReader::Read {
    BatchReader::Read {
        target: subject,
        gas: CONTRACT_SIGNATURE_GAS,
        maxReturn: 32,
        data: IERC1271::isValidSignatureCall { hash, signature }
            .abi_encode()
            .into(),
    }
}

/// An ERC-1271 answer: only a first 32-byte word that is exactly the magic value
/// accepts, as the registry's `SignatureChecker` reads it (the identity precompile, which
/// echoes its calldata, starts with the selector but not the whole word); another value,
/// no code, a revert or running out of gas refuses.
fn contract_answer(result: ReadResult) -> bool {
    result.success && result.data.get(..32) == Some(ERC1271_MAGIC_WORD.as_slice())
}

fn missing_answer() -> Error {
    Error::Rpc("the batch answered fewer reads than it was sent".to_owned())
}

pub(crate) fn rpc_error(error: RpcError<TransportErrorKind>) -> Error {
    Error::Rpc(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output of a batch reader: block 7, then `results` packed.
    fn output(results: &[&[u8]]) -> Bytes {
        let mut output = U256::from(7).to_be_bytes::<32>().to_vec();
        for result in results {
            output.extend_from_slice(result);
        }
        output.into()
    }

    #[test]
    fn a_batch_output_decodes_into_its_block_and_results() {
        let decoded = decode_batch(
            &output(&[&[1, 0, 0, 0, 2, 0xab, 0xcd], &[0, 0, 0, 0, 0]]),
            2,
        );
        assert_eq!(
            decoded.expect("a well-formed output"),
            (
                7,
                vec![
                    ReadResult {
                        success: true,
                        data: Bytes::from_static(&[0xab, 0xcd]),
                    },
                    ReadResult {
                        success: false,
                        data: Bytes::new(),
                    },
                ]
            )
        );
        assert_eq!(
            decode_batch(&output(&[]), 0).expect("no reads"),
            (7, vec![])
        );
    }

    /// A node's answer is not trusted to be well formed: a bad one is an error, never a
    /// panic or a result read past its end.
    #[test]
    fn a_malformed_batch_output_is_an_error() {
        let mut too_high = vec![0xff; 32];
        too_high.extend_from_slice(&[0, 0, 0, 0, 0]);
        for bad in [
            Bytes::from(vec![0; 31]),
            output(&[&[2, 0, 0, 0, 0]]),
            output(&[&[1, 0, 0, 0, 3, 0xab, 0xcd]]),
            output(&[&[1, 0, 0, 0xff, 0xff, 0xab]]),
            output(&[&[1, 0, 0]]),
            too_high.into(),
        ] {
            let error = decode_batch(&bad, 1).expect_err("a malformed output");
            assert!(matches!(error, Error::Rpc(_)), "{error:?}");
        }
    }

    /// An output cut at a result's end, or with a result too many, decodes but does not
    /// match its reads: it is refused rather than shifting results onto other reads.
    #[test]
    fn a_batch_output_with_another_number_of_results_is_an_error() {
        let two = output(&[&[1, 0, 0, 0, 1, 0xab], &[1, 0, 0, 0, 1, 0xcd]]);
        assert!(decode_batch(&two, 2).is_ok());
        for reads in [1, 3] {
            let error = decode_batch(&two, reads).expect_err("another number of results");
            assert!(error.to_string().contains("2 results for"), "{error}");
        }
    }
}
