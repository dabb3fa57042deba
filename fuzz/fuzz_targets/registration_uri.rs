//! The registration URI a wallet reads from a QR code: parsing never panics, and a code
//! that parses writes out to a URI that parses back to the same code.
#![no_main]

use kyc_core::uri::RegistrationUri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = RegistrationUri::parse(text) {
        let again = RegistrationUri::parse(&uri.to_uri_string())
            .expect("a parsed code must parse again once written out");
        assert_eq!(again, uri);
    }
});
