//! Fuzz target: the territory's places CSV. Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_imports::places::read(data);
});
