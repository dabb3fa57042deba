//! Reads from the chain: attestations, certifier names and ERC-1271 answers for
//! many submissions at once, as JSON-RPC batches of `eth_call` at one confirmed block.

use std::collections::BTreeMap;

use alloy::{
    eips::BlockId,
    primitives::{Address, Bytes, FixedBytes, B256},
    providers::{DynProvider, Provider},
    rpc::{client::BatchRequest, types::TransactionRequest},
    sol_types::SolCall,
    transports::{RpcError, TransportErrorKind},
};
use kyc_contracts::KycRegistry;
use kyc_core::attestation::{Attestation, Status};

use crate::{Error, Result};

/// Calls per JSON-RPC batch: large enough to amortise the round trip, small
/// enough for node limits on batch size.
const CALLS_PER_BATCH: usize = 500;

/// ERC-1271's answer for a valid signature: `isValidSignature.selector`.
const ERC1271_MAGIC: FixedBytes<4> = FixedBytes([0x16, 0x26, 0xba, 0x7e]);

alloy::sol! {
    /// ERC-1271: a contract account's signature check.
    interface IERC1271 {
        /// Returns `0x1626ba7e` when `signature` is the account's for `hash`.
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4 magicValue);
    }
}

/// What to read for one submission.
pub(crate) struct Query {
    pub(crate) subject: Address,
    pub(crate) certifier: Address,
    /// The digest and signature to put to the subject's `isValidSignature`, if any.
    pub(crate) contract_signature: Option<(B256, Bytes)>,
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
}

impl Chain {
    /// Asks the endpoint for its chain ID, and checks the registry has code.
    pub(crate) async fn connect(provider: DynProvider, registry: Address) -> Result<Self> {
        let chain_id = provider.get_chain_id().await.map_err(rpc_error)?;
        if provider
            .get_code_at(registry)
            .await
            .map_err(rpc_error)?
            .is_empty()
        {
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
        })
    }

    pub(crate) fn chain_id(&self) -> u64 {
        self.chain_id
    }

    pub(crate) fn registry(&self) -> Address {
        self.registry
    }

    /// Reads every query at the latest block less `confirmations`; returns that block.
    pub(crate) async fn read(
        &self,
        queries: &[Query],
        confirmations: u64,
    ) -> Result<(u64, Vec<Answer>)> {
        let latest = self.provider.get_block_number().await.map_err(rpc_error)?;
        let block = latest.saturating_sub(confirmations);
        if queries.is_empty() {
            return Ok((block, Vec::new()));
        }
        let mut names = BTreeMap::new();
        for query in queries {
            names.entry(query.certifier).or_insert_with(String::new);
        }
        let mut calls: Vec<(Address, Bytes)> = queries
            .iter()
            .map(|query| {
                let call = KycRegistry::attestationCall {
                    subject: query.subject,
                    certifier: query.certifier,
                };
                (self.registry, call.abi_encode().into())
            })
            .collect();
        calls.extend(names.keys().map(|certifier| {
            let call = KycRegistry::certifierNameCall {
                certifier: *certifier,
            };
            (self.registry, call.abi_encode().into())
        }));
        calls.extend(queries.iter().filter_map(|query| {
            let (hash, signature) = query.contract_signature.clone()?;
            let call = IERC1271::isValidSignatureCall { hash, signature };
            Some((query.subject, call.abi_encode().into()))
        }));
        let mut results = self.call_all(&calls, block).await?.into_iter();

        let mut attestations = Vec::with_capacity(queries.len());
        for result in results.by_ref().take(queries.len()) {
            let output = self.registry_output(result, block)?;
            let attestation = KycRegistry::attestationCall::abi_decode_returns(&output)
                .map_err(|e| Error::Rpc(format!("undecodable attestation: {e}")))?;
            let attestation = Attestation::from_abi(
                attestation.root,
                attestation.issuedAt,
                attestation.expiresAt,
                attestation.evidence,
                attestation.status,
            )
            .map_err(|e| Error::Rpc(format!("undecodable attestation: {e}")))?;
            attestations.push(Some(attestation).filter(|found| found.status != Status::None));
        }
        for name in names.values_mut() {
            let output = self.registry_output(results.next().ok_or_else(missing_answer)?, block)?;
            *name = KycRegistry::certifierNameCall::abi_decode_returns(&output)
                .map_err(|e| Error::Rpc(format!("undecodable certifier name: {e}")))?;
        }
        let mut answers = Vec::with_capacity(queries.len());
        for (query, attestation) in queries.iter().zip(attestations) {
            let contract_accepts = match query.contract_signature {
                Some(_) => Some(contract_answer(results.next().ok_or_else(missing_answer)?)?),
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

    /// `eth_call`s at `block`, in batches; an error of one call is left in its place.
    async fn call_all(
        &self,
        calls: &[(Address, Bytes)],
        block: u64,
    ) -> Result<Vec<Result<Bytes, RpcError<TransportErrorKind>>>> {
        let block = BlockId::number(block);
        let mut results = Vec::with_capacity(calls.len());
        for chunk in calls.chunks(CALLS_PER_BATCH) {
            let mut batch = BatchRequest::new(self.provider.client());
            let waiters = chunk
                .iter()
                .map(|(to, input)| {
                    let call = TransactionRequest::default()
                        .to(*to)
                        .input(input.clone().into());
                    batch.add_call::<_, Bytes>("eth_call", &(call, block))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(rpc_error)?;
            batch.send().await.map_err(rpc_error)?;
            for waiter in waiters {
                results.push(waiter.await);
            }
        }
        Ok(results)
    }

    /// A registry call's output; empty output means no contract at the address then.
    fn registry_output(
        &self,
        result: Result<Bytes, RpcError<TransportErrorKind>>,
        block: u64,
    ) -> Result<Bytes> {
        let output = result.map_err(rpc_error)?;
        if output.is_empty() {
            return Err(Error::NoRegistry {
                registry: self.registry,
                chain_id: self.chain_id,
                block,
            });
        }
        Ok(output)
    }
}

/// An ERC-1271 answer: the magic value accepts; another value, no code, or a revert refuses.
fn contract_answer(result: Result<Bytes, RpcError<TransportErrorKind>>) -> Result<bool> {
    match result {
        Ok(output) => Ok(IERC1271::isValidSignatureCall::abi_decode_returns(&output)
            .is_ok_and(|magic| magic == ERC1271_MAGIC)),
        Err(RpcError::ErrorResp(payload))
            if payload.code == 3 || payload.message.contains("revert") =>
        {
            Ok(false)
        }
        Err(error) => Err(rpc_error(error)),
    }
}

fn missing_answer() -> Error {
    Error::Rpc("the batch answered fewer calls than it was sent".to_owned())
}

pub(crate) fn rpc_error(error: RpcError<TransportErrorKind>) -> Error {
    Error::Rpc(error.to_string())
}
