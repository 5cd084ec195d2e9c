//! Fuzz target: a ROME 4.0 release's CSV files. The input is the files' contents one after
//! the other, separated by a zero byte (`dklik_imports::rome::files_of_one_input`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_imports::rome::parse_files(&dklik_imports::rome::files_of_one_input(data));
});
