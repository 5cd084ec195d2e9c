//! The real GTFS feeds kept beside the project (`DKLIK_FORMATS_DIR`, set by the test command)
//! and the project's own demo feed read cleanly, as folders and as zip files.

use dklik_transit::gtfs;
use std::io::Write;
use std::path::PathBuf;

fn formats() -> PathBuf {
    PathBuf::from(std::env::var("DKLIK_FORMATS_DIR").unwrap_or_else(|_| {
        panic!("DKLIK_FORMATS_DIR must name the folder of real transit samples (the test command sets it)")
    }))
}

#[test]
fn aranda_crlf_feed() {
    let f = gtfs::read(&formats().join("gtfs/aranda")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            f.routes.len(),
            f.stops.len(),
            f.trips.len(),
            f.stop_times.len()
        ),
        (3, 44, 66, 1843)
    );
    assert!(!f.shapes.is_empty());
}

#[test]
fn zakroczym_feed_with_fares_v2() {
    let f = gtfs::read(&formats().join("gtfs/zakroczym")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            f.routes.len(),
            f.stops.len(),
            f.trips.len(),
            f.stop_times.len()
        ),
        (3, 62, 48, 1018)
    );
}

#[test]
fn google_sample_with_frequencies_and_empty_shapes() {
    let f = gtfs::read(&formats().join("gtfs/google-sample")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.stops.len(), 9);
    assert!(f.shapes.is_empty());
    assert!(f.notes.iter().any(|n| n.contains("frequencies.txt")));
}

#[test]
fn a_zipped_feed_reads_like_the_folder() {
    let dir = formats().join("gtfs/aranda");
    let tmp = tempfile::tempdir().expect("tmp");
    let zpath = tmp.path().join("aranda.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).expect("create"));
    for e in std::fs::read_dir(&dir).expect("dir").flatten() {
        // Zipped with their folder, as some publishers do.
        z.start_file(
            format!("aranda/{}", e.file_name().to_string_lossy()),
            zip::write::SimpleFileOptions::default(),
        )
        .expect("entry");
        z.write_all(&std::fs::read(e.path()).expect("read"))
            .expect("write");
    }
    z.finish().expect("finish");
    let a = gtfs::read(&zpath).unwrap_or_else(|e| panic!("{e}"));
    let b = gtfs::read(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
    std::fs::write(tmp.path().join("broken.zip"), b"PK not really").expect("write");
    let e = gtfs::read(&tmp.path().join("broken.zip"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("zip"), "{e}");
}

#[test]
fn the_demo_feed_serves_shift_work() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/gtfs/dunkerque-demo");
    let f = gtfs::read(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.routes.len(), 10);
    assert!(f.agencies[0].name.contains("fictif"));
    let first = f.stop_times.iter().map(|s| s.departure).min().unwrap_or(0);
    let last = f.stop_times.iter().map(|s| s.arrival).max().unwrap_or(0);
    assert!(first <= 4 * 3600 + 45 * 60, "an early bus for 5:00 shifts");
    assert!(
        last > 24 * 3600,
        "late buses after 21:00–24:00 shifts, past midnight"
    );
    assert!(f.trips.iter().all(|t| !t.shape_id.is_empty()));
}
