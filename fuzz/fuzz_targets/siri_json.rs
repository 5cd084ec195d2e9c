//! Fuzz target: SIRI Lite, JSON. Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_transit::realtime::siri::decode_json(data);
});
