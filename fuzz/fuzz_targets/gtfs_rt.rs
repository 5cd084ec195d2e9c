//! Fuzz target: GTFS-realtime FeedMessage (protobuf). Any input gives a value or a French error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = dklik_transit::realtime::gtfs_rt::decode(data);
});
