//! The claims canonicaliser: `key NUL value` in. Normalising never panics, what it returns
//! is canonical (normalising again changes nothing), and a value is canonical exactly when
//! normalising leaves it as it is.
#![no_main]

use kyc_core::claims::{check_canonical, normalize_claim, Claim};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (key, value) = text.split_once('\0').unwrap_or((text, ""));
    let typed = Claim {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    match normalize_claim(key, value) {
        Ok((claim, changed)) => {
            assert_eq!(claim.key, key);
            assert_eq!(changed, claim.value != value);
            check_canonical(&claim).expect("a normalised claim is canonical");
            let (again, changed_again) =
                normalize_claim(&claim.key, &claim.value).expect("normalising is idempotent");
            assert!(!changed_again);
            assert_eq!(again, claim);
            assert_eq!(check_canonical(&typed).is_ok(), !changed);
        }
        Err(_) => assert!(check_canonical(&typed).is_err()),
    }
});
