//! Fuzz target: SIRI Vehicle Monitoring, XML (the streaming reader). Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_transit::realtime::siri::decode(data);
});
