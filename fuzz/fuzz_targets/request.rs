//! The request file a certifier reads from a wallet: parsing never panics, and a file
//! that passes its checks holds the root of its claims and survives a round trip.
#![no_main]

use kyc_core::files::{JsonFile, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = Request::from_json(text) {
        assert_eq!(request.computed_root().ok(), Some(request.root));
        let json = request.to_json().expect("a checked request serialises");
        assert_eq!(Request::from_json(&json).ok(), Some(request));
    }
});
