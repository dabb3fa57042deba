//! The wallet's encrypted key.

use alloy::signers::local::PrivateKeySigner;
use kyc_wallet::{Error, Wallet};

#[test]
fn a_created_key_unlocks_with_its_password_only() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path().join("w")).unwrap();
    assert!(!wallet.has_key());
    let signer = wallet.create_key("correct horse").unwrap();
    assert!(wallet.has_key());
    assert_eq!(
        wallet.unlock("correct horse").unwrap().address(),
        signer.address()
    );

    let err = wallet.unlock("wrong horse").unwrap_err();
    assert!(matches!(err, Error::Keystore { .. }), "{err}");
    assert!(err.to_string().contains("wrong password"), "{err}");
    assert!(!err.to_string().contains("wrong horse"), "{err}");

    let keystore = std::fs::read_to_string(wallet.keystore_path()).unwrap();
    assert!(keystore.contains("scrypt"));
    assert!(!keystore.contains(&signer.to_bytes().to_string()[2..]));
}

#[test]
fn a_second_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    let first = wallet.create_key("pw").unwrap();
    assert!(matches!(wallet.create_key("pw"), Err(Error::KeyExists(_))));
    assert!(matches!(
        wallet.store_key(&PrivateKeySigner::random(), "pw"),
        Err(Error::KeyExists(_))
    ));
    assert_eq!(wallet.unlock("pw").unwrap().address(), first.address());
}

#[test]
fn an_existing_key_can_be_stored() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    let signer = PrivateKeySigner::random();
    wallet.store_key(&signer, "pw").unwrap();
    assert_eq!(wallet.unlock("pw").unwrap().address(), signer.address());
}

#[test]
fn unlocking_an_empty_wallet_says_it_has_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path()).unwrap();
    let err = wallet.unlock("pw").unwrap_err();
    assert!(matches!(err, Error::NoKey(_)));
    assert_eq!(
        err.to_string(),
        format!("no key in {}", wallet.keystore_path().display())
    );
}

#[cfg(unix)]
#[test]
fn the_wallet_folder_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::open(dir.path().join("new")).unwrap();
    wallet.consent_log().records().unwrap();
    let mode = std::fs::metadata(wallet.dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}
