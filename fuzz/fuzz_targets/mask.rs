//! The ID-number masker, the time formatter and the offset parser: no panic, and the masking
//! rules hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_info_log::modification_log::{format_time, mask_id_number, parse_utc_offset};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let epoch_ms = i64::from_le_bytes(data[..8].try_into().unwrap());
        let rest = std::str::from_utf8(&data[8..]).unwrap_or_default();
        let offset =
            parse_utc_offset(rest).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap());
        let _ = format_time(epoch_ms, offset);
    }

    let Ok(id_number) = std::str::from_utf8(data) else {
        return;
    };
    let masked = mask_id_number(id_number);
    let original: Vec<char> = id_number.chars().collect();
    let shown: Vec<char> = masked.chars().collect();

    assert_eq!(shown.len(), original.len(), "masking changed the length");
    if original.len() < 8 {
        assert!(shown.iter().all(|&c| c == '*'), "a short value was shown");
    } else {
        assert_eq!(shown[..3], original[..3]);
        assert_eq!(shown[shown.len() - 4..], original[original.len() - 4..]);
        assert!(shown[3..shown.len() - 4].iter().all(|&c| c == '*'));
    }
});
