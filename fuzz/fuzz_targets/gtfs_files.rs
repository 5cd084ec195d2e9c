//! Fuzz target: a GTFS static feed's files. The input is the files' contents one after the
//! other, separated by a zero byte, in the order of `FILES`.
#![no_main]

const FILES: [&str; 9] = [
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "shapes.txt",
    "feed_info.txt",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let files = FILES
        .iter()
        .zip(data.split(|b| *b == 0))
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    let _ = dklik_transit::gtfs::parse(&files);
});
