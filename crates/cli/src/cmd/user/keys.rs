//! `kyc user new`: the wallet's key.

use serde::Serialize;

use super::UserWalletArgs;
use crate::output::print_json;

/// Create the wallet's key, encrypted with a password, in the wallet folder.
///
/// With --private-key, the given key is stored instead of a fresh one. Refuses a wallet
/// that already has a key.
#[derive(Debug, clap::Args)]
pub(crate) struct NewArgs {
    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl NewArgs {
    pub(crate) fn run(self, json: bool) -> anyhow::Result<()> {
        let wallet = self.wallet.open()?;
        if wallet.has_key() {
            return Err(kyc_wallet::Error::KeyExists(wallet.keystore_path()).into());
        }
        let password = self.wallet.password("new keystore password: ", true)?;
        let address = match self.wallet.private_key()? {
            Some(signer) => {
                wallet.store_key(&signer, &password)?;
                signer.address()
            }
            None => wallet.create_key(&password)?.address(),
        };
        let keystore = wallet.keystore_path();
        if json {
            #[derive(Serialize)]
            struct Created<'a> {
                #[serde(serialize_with = "kyc_core::hex::serialize")]
                address: alloy::primitives::Address,
                keystore: &'a std::path::Path,
            }
            print_json(&Created {
                address,
                keystore: &keystore,
            })?;
        } else {
            println!("address  {address}");
            println!("keystore {}", keystore.display());
        }
        Ok(())
    }
}
