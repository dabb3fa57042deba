//! The checks a request passes before anything about it is stored or sent.

use alloy::{
    primitives::{Address, Bytes, FixedBytes, B256},
    providers::Provider,
    sol,
    transports::RpcError,
};
use kyc_core::{
    age::check_age_claims,
    files::{JsonFile, Request},
    signature::{encode_signature, is_erc6492_wrapped, parse_signature, recover_signer},
};

use crate::{Chain, Error, Result};

sol! {
    /// ERC-1271: how a contract wallet says a signature is its own.
    #[sol(rpc)]
    interface IERC1271 {
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4 magicValue);
    }
}

/// What `isValidSignature` returns for a valid signature.
const ERC1271_MAGIC: FixedBytes<4> = FixedBytes([0x16, 0x26, 0xba, 0x7e]);

/// A deadline closer than this to the chain's time is treated as passed: the
/// transaction would likely be mined after it.
pub const DEADLINE_MARGIN_SECS: u64 = 30;

/// Checks a request against the chain, our registry and our account, in the order a
/// person would fix them: the file itself (canonical claims, root), chain, registry,
/// certifier, deadline, age claims (each made true by the request's own birthdate on
/// the chain's day), signature (ERC-1271 for a contract subject), nonce.
pub async fn check_request(chain: &Chain, request: &Request) -> Result<()> {
    request.check()?;
    check_addressing(chain, request)?;
    let now = chain.now().await?;
    check_deadline(request.deadline, now)?;
    check_age_claims(
        request
            .claims
            .iter()
            .map(|claim| (claim.key.as_str(), claim.value.as_str())),
        now,
    )?;
    check_subject_signature(
        chain,
        request.subject,
        request.signing_hash(),
        &request.signature,
    )
    .await?;
    let registry = chain.pair(request.subject, chain.account()).await?.nonce;
    if request.nonce != registry {
        return Err(Error::WrongNonce {
            subject: request.subject,
            file: request.nonce,
            registry,
        });
    }
    Ok(())
}

/// The request is for this chain, this registry and this certifier.
pub(crate) fn check_addressing(chain: &Chain, request: &Request) -> Result<()> {
    if request.chain_id != chain.chain_id() {
        return Err(Error::WrongChain {
            file: request.chain_id,
            chain: chain.chain_id(),
        });
    }
    if request.registry != chain.registry_address() {
        return Err(Error::WrongRegistry {
            file: request.registry,
            ours: chain.registry_address(),
        });
    }
    if request.certifier != chain.account() {
        return Err(Error::WrongCertifier {
            file: request.certifier,
            ours: chain.account(),
        });
    }
    Ok(())
}

/// The deadline is still ahead of `now` by the time a transaction needs to be mined.
pub(crate) fn check_deadline(deadline: u64, now: u64) -> Result<()> {
    if deadline <= now.saturating_add(DEADLINE_MARGIN_SECS) {
        return Err(Error::DeadlinePassed { deadline, now });
    }
    Ok(())
}

/// The subject signed `digest`: strict ECDSA by the subject's key, or, for a contract
/// subject, ERC-1271; ERC-6492 wrappers are refused, as on chain.
pub async fn check_subject_signature(
    chain: &Chain,
    subject: Address,
    digest: B256,
    signature: &Bytes,
) -> Result<()> {
    let refuse = |reason: String| Error::BadSignature { subject, reason };
    if is_erc6492_wrapped(signature) {
        return Err(refuse("ERC-6492 wrapped signatures are refused".to_owned()));
    }
    let reason = match recover_signer(digest, signature) {
        Ok(signer) if signer == subject => return Ok(()),
        Ok(signer) => format!("it was made by {signer}"),
        Err(error) => error.to_string(),
    };
    let code = chain
        .provider()
        .get_code_at(subject)
        .await
        .map_err(Error::rpc("reading the subject's code"))?;
    if code.is_empty() {
        return Err(refuse(reason));
    }
    let wallet = IERC1271::new(subject, chain.provider());
    match wallet
        .isValidSignature(digest, signature.clone())
        .call()
        .await
    {
        Ok(magic) if magic == ERC1271_MAGIC => Ok(()),
        Ok(_) => Err(refuse(
            "the contract wallet does not accept it (ERC-1271)".to_owned(),
        )),
        Err(alloy::contract::Error::TransportError(RpcError::Transport(error))) => {
            Err(Error::Rpc {
                action: "asking the subject's wallet (ERC-1271)",
                message: error.to_string(),
            })
        }
        Err(_) => Err(refuse(
            "the contract wallet refused it (ERC-1271)".to_owned(),
        )),
    }
}

/// The signature as the registry takes it: the subject's own key signature with `v`
/// written 27/28 (SPEC: one accepted with `v` 0/1 is sent as 27/28); any other
/// signature (ERC-1271) exactly as given.
pub(crate) fn onchain_signature(subject: Address, digest: B256, signature: &Bytes) -> Bytes {
    let own_key = recover_signer(digest, signature).is_ok_and(|signer| signer == subject);
    match parse_signature(signature) {
        Ok(parsed) if own_key => Bytes::copy_from_slice(&encode_signature(&parsed)),
        _ => signature.clone(),
    }
}
