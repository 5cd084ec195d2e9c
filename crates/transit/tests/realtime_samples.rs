//! The real-time decoders on the real samples kept beside the project.

use dklik_transit::realtime::{gtfs_rt, itxpt, siri};
use std::path::PathBuf;

fn formats() -> PathBuf {
    PathBuf::from(std::env::var("DKLIK_FORMATS_DIR").unwrap_or_else(|_| {
        panic!("DKLIK_FORMATS_DIR must name the folder of real transit samples (the test command sets it)")
    }))
}

fn read(p: &str) -> Vec<u8> {
    std::fs::read(formats().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn gtfs_rt_estonia_capture() {
    let d = gtfs_rt::decode(&read("gtfs-rt/estonia-vehicle-positions.pb"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.reports.len(), 7);
    for r in &d.reports {
        assert!(
            (57.0..60.0).contains(&r.lat) && (21.0..29.0).contains(&r.lon),
            "{r:?}"
        );
        assert!(r.timestamp.is_some());
    }
}

#[test]
fn gtfs_rt_mississauga_capture() {
    let d = gtfs_rt::decode(&read("gtfs-rt/mississauga-vehicle-positions.pb"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.reports.len() + d.skipped.len(), 125);
    assert!(d.reports.len() >= 100, "{}", d.reports.len());
    assert!(d.reports.iter().all(|r| (43.0..44.5).contains(&r.lat)));
}

#[test]
fn gtfs_rt_refuses_other_formats() {
    assert!(gtfs_rt::decode(&read("siri/mta-bustime/vehicle-monitoring.xml")).is_err());
}

#[test]
fn siri_cen_examples() {
    let d = siri::decode(&read(
        "siri/siri-cen-examples/exv_vehicleMonitoring_response_simple.xml",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!d.reports.is_empty());
    let r = &d.reports[0];
    assert_eq!(r.route_id.as_deref(), Some("Line123"));
    assert_eq!(
        r.timestamp,
        dklik_transit::realtime::parse_instant("2004-12-17T09:30:47-05:00")
    );
    let full = siri::decode(&read(
        "siri/siri-cen-examples/exv_vehicleMonitoring_response.xml",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!full.reports.is_empty() || !full.skipped.is_empty());
    // A request is SIRI too, with no activity: nothing, and no error.
    let req = siri::decode(&read(
        "siri/siri-cen-examples/exv_vehicleMonitoring_request.xml",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(req.reports.is_empty());
}

#[test]
fn siri_mta_bustime_capture() {
    let d = siri::decode(&read("siri/mta-bustime/vehicle-monitoring.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.reports.len(), 2);
    for r in &d.reports {
        assert!(r.vehicle.starts_with("MTA"), "{r:?}");
        assert!((40.0..41.5).contains(&r.lat) && r.lon < -73.0);
        assert!(r.trip_id.is_some() && r.route_id.is_some() && r.timestamp.is_some());
    }
    let simple = siri::decode(&read("siri/mta-bustime/vehicle-monitoring-simple.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(simple.reports.len() <= 2);
}

/// SIRI Lite JSON: a real capture gives its two vehicles with their trip, line and stop; the empty
/// delivery gives none; references wrapped as {"value": …} and single objects are read too.
#[test]
fn siri_lite_json_capture_reads_like_its_xml() {
    let json = siri::decode_any(&read("siri/mta-bustime/vehicle-monitoring.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json.reports.len(), 2);
    assert_eq!(json.reports[0].vehicle, "MTA NYCT_6174");
    assert_eq!(json.reports[0].stop_id.as_deref(), Some("MTA NYCT_202985"));
    assert_eq!(json.reports[0].route_id.as_deref(), Some("MTA NYCT_S40"));
    for r in &json.reports {
        assert!((40.0..41.5).contains(&r.lat) && r.lon < -73.0, "{r:?}");
        assert!(r.trip_id.is_some() && r.timestamp.is_some(), "{r:?}");
    }
    // The XML capture reads through the same entry point.
    let xml = siri::decode_any(&read("siri/mta-bustime/vehicle-monitoring.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(xml.reports.len(), 2);
    let empty = siri::decode_any(&read("siri/mta-bustime/vehicle-monitoring-simple.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(empty.reports.is_empty() && empty.skipped.is_empty());
    let wrapped = siri::decode_json(
        br#"{"Siri":{"ServiceDelivery":{"VehicleMonitoringDelivery":{"VehicleActivity":{
            "RecordedAtTime":"2026-11-30T08:00:00+01:00",
            "MonitoredVehicleJourney":{"LineRef":{"value":"C1"},"VehicleRef":{"value":"DK-12"},
            "VehicleLocation":{"Latitude":"51.03","Longitude":2.37}}}}}}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(wrapped.reports.len(), 1);
    assert_eq!(wrapped.reports[0].vehicle, "DK-12");
    assert_eq!(wrapped.reports[0].route_id.as_deref(), Some("C1"));
    let no_place = siri::decode_json(
        br#"{"Siri":{"ServiceDelivery":{"VehicleMonitoringDelivery":[{"VehicleActivity":[{"MonitoredVehicleJourney":{"VehicleRef":"X"}}]}]}}}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(no_place.skipped.len(), 1);
    for bad in [&b"{"[..], b"{\"a\":1}", b"  ", b"[1,2]"] {
        assert!(
            siri::decode_any(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn itxpt_gnss_location_examples() {
    for p in [
        "itxpt/v2.1.1/S02P03_GNSSLocation/examples/GNSSLocationDelivery.xml",
        "itxpt/sequoia/S02P03_GNSSLocation/examples/GNSSLocationDelivery.xml",
    ] {
        let d = itxpt::decode(&read(p), "bus-7").unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(d.reports.len(), 1, "{p}");
        let r = &d.reports[0];
        assert_eq!(r.vehicle, "bus-7");
        assert!(
            (48.0..49.5).contains(&r.lat) && (2.0..2.6).contains(&r.lon),
            "{r:?}"
        );
    }
    let d = itxpt::decode(
        &read("itxpt/v2.1.1/S02P03_GNSSLocation/examples/GNSSLocationDelivery.xml"),
        "b",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.reports[0].timestamp,
        dklik_transit::realtime::parse_instant("2019-10-24T08:05:30Z")
    );
}

#[test]
fn xml_garbage_is_refused() {
    assert!(siri::decode(b"<Siri><VehicleActivity>").is_err());
    assert!(siri::decode(b"<NotSiri/>").is_err());
    assert!(itxpt::decode(b"\xff\xfe", "b").is_err());
    assert!(siri::decode(&[b'<'; 100]).is_err());
    // A document has one root element, and no text beside it.
    assert!(siri::decode(b"<Siri>null</Siri><Siri>null</Siri>").is_err());
    assert!(siri::decode(b"<Siri/>texte").is_err());
}
