#![no_main]

// See haptix_fuzz::json_parse for what one input is.
libfuzzer_sys::fuzz_target!(|data: &[u8]| haptix_fuzz::json_parse::run(data));
