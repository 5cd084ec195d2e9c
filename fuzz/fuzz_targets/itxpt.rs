//! Fuzz target: ITxPT GNSSLocation datagram (XML). Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_transit::realtime::itxpt::decode(data, "v");
});
