//! The submission a service reads from a wallet, as the verifier parses it (plain serde,
//! bytes in) and as a file (checked): neither panics, the digest and root of anything that
//! deserialises can be computed, and a checked file holds the root of its leaves and
//! survives a round trip.
#![no_main]

use kyc_core::files::{JsonFile, Submission};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(submission) = serde_json::from_slice::<Submission>(data) {
        let _ = submission.computed_root();
        let _ = submission.signing_hash();
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(submission) = Submission::from_json(text) {
        assert_eq!(submission.computed_root().ok(), Some(submission.root));
        let json = submission
            .to_json()
            .expect("a checked submission serialises");
        assert_eq!(Submission::from_json(&json).ok(), Some(submission));
    }
});
