//! The request body parser and the content-type and length checks, on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use user_info_log::request::{check_content_type, check_declared_length, LogRequest};

fuzz_target!(|data: &[u8]| {
    let _ = LogRequest::parse(data);

    let text = String::from_utf8_lossy(data);
    let _ = check_content_type(Some(&text));
    let _ = check_declared_length(Some(&text));
});
