//! The stored-hash parser, and verification of whatever it accepts at a cost fuzzing can afford.
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_info_log::auth::password::{Password, StoredHash};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(stored) = StoredHash::parse(text) {
        assert!(
            stored.iterations() > 0,
            "a hash with zero iterations was accepted"
        );
        if stored.iterations() <= 64 {
            let _ = stored.verify(&Password::new("password"));
        }
    }
});
