//! ITxPT S02P03 GNSSLocation: the on-board GNSS service multicasts GNSSLocationDelivery XML
//! datagrams. A datagram names no vehicle: the receiver on board knows which vehicle it is in.

use super::xml::parse;
use super::{DecodeError, Decoded, VehicleReport};

fn signed_degree(e: Option<&super::xml::El>, negative: &str) -> Option<f64> {
    let e = e?;
    let v: f64 = e.text_at(&["Degree"])?.parse().ok()?;
    Some(if e.text_at(&["Direction"]) == Some(negative) {
        -v.abs()
    } else {
        v
    })
}

/// Reads one datagram for `vehicle`.
pub fn decode(xml: &[u8], vehicle: &str) -> Result<Decoded, DecodeError> {
    let root = parse(xml)?;
    if root.name != "GNSSLocationDelivery" {
        return Err(DecodeError(format!(
            "ce n'est pas un GNSSLocationDelivery ITxPT (élément racine « {} »)",
            root.name
        )));
    }
    let mut out = Decoded::default();
    for loc in root.children.iter().filter(|c| c.name == "GNSSLocation") {
        let lat = signed_degree(loc.child("Latitude"), "S");
        let lon = signed_degree(loc.child("Longitude"), "W");
        let timestamp = match (loc.text_at(&["Date"]), loc.text_at(&["Time"])) {
            (Some(d), Some(t)) => {
                super::parse_instant(&format!("{d}T{}Z", t.split('.').next().unwrap_or(t)))
            }
            _ => None,
        };
        match (lat, lon) {
            (Some(lat), Some(lon)) => out.reports.push(VehicleReport {
                vehicle: vehicle.to_string(),
                trip_id: None,
                route_id: None,
                stop_id: None,
                lat,
                lon,
                timestamp,
            }),
            _ => out
                .skipped
                .push("GNSSLocation sans latitude ou longitude".into()),
        }
    }
    Ok(out)
}
