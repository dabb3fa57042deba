//! The credential file a wallet reads from a certifier: parsing never panics, and a file
//! that passes its checks holds the root of its claims and survives a round trip.
#![no_main]

use kyc_core::files::{Credential, JsonFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(credential) = Credential::from_json(text) {
        assert_eq!(credential.computed_root().ok(), Some(credential.root));
        assert!(credential.expires_at > credential.issued_at);
        let json = credential
            .to_json()
            .expect("a checked credential serialises");
        assert_eq!(Credential::from_json(&json).ok(), Some(credential));
    }
});
