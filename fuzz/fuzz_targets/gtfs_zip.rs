//! Fuzz target: a GTFS static feed as a zip file (sizes, names, compression: the reader's
//! limits against zip bombs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("feed.zip");
    if std::fs::write(&path, data).is_ok() {
        let _ = dklik_transit::gtfs::read(&path);
    }
});
