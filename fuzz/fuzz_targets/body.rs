//! The request body parser, the paging members' checks and the cursor opener, and the
//! content-type and length checks, on any bytes.
#![no_main]

use chrono::FixedOffset;
use libfuzzer_sys::fuzz_target;
use user_info_log::paging::{CursorKey, PageQuery};
use user_info_log::request::{check_content_type, check_declared_length, LogRequest};

fuzz_target!(|data: &[u8]| {
    let key = CursorKey::derive(b"fuzzing key of at least thirty-two bytes");
    let offset = FixedOffset::east_opt(8 * 3_600).unwrap();
    if let Ok(request) = LogRequest::parse(data) {
        let _ = request.page.check("fuzz-account", &key, offset);
    }

    let text = String::from_utf8_lossy(data);
    let _ = check_content_type(Some(&text));
    let _ = check_declared_length(Some(&text));
    let _ = key.open("fuzz-account", &PageQuery::first_page(), &text);
});
