//! Fuzz target: France Travail offers JSON. Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_imports::offers::read_france_travail_json(data);
});
