//! Fuzz target: the offers CSV import. Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_imports::offers::read_csv(data);
});
