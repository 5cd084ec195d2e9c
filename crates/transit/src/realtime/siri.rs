//! SIRI Vehicle Monitoring (SIRI 1.x and 2.0): each VehicleActivity of a
//! VehicleMonitoringDelivery becomes a report. Empty deliveries give no report and no error.

use super::xml::{parse, El};
use super::{parse_instant, DecodeError, Decoded, VehicleReport};

/// Reads a SIRI message and returns the positions of its VehicleActivity elements.
pub fn decode(xml: &[u8]) -> Result<Decoded, DecodeError> {
    let root = parse(xml)?;
    if root.name != "Siri" {
        return Err(DecodeError(format!(
            "ce n'est pas un message SIRI (élément racine « {} »)",
            root.name
        )));
    }
    let mut activities: Vec<&El> = Vec::new();
    root.find_all("VehicleActivity", &mut activities);
    let mut out = Decoded::default();
    for (k, a) in activities.iter().enumerate() {
        let Some(j) = a.child("MonitoredVehicleJourney") else {
            out.skipped.push(format!(
                "VehicleActivity n° {} sans MonitoredVehicleJourney",
                k + 1
            ));
            continue;
        };
        let lat = j
            .text_at(&["VehicleLocation", "Latitude"])
            .and_then(|s| s.parse::<f64>().ok());
        let lon = j
            .text_at(&["VehicleLocation", "Longitude"])
            .and_then(|s| s.parse::<f64>().ok());
        let vehicle = j
            .text_at(&["VehicleRef"])
            .or_else(|| a.text_at(&["VehicleMonitoringRef"]))
            .map(String::from);
        match (vehicle, lat, lon) {
            (Some(vehicle), Some(lat), Some(lon)) => out.reports.push(VehicleReport {
                vehicle,
                trip_id: j
                    .text_at(&["FramedVehicleJourneyRef", "DatedVehicleJourneyRef"])
                    .or_else(|| j.text_at(&["VehicleJourneyRef"]))
                    .map(String::from),
                route_id: j.text_at(&["LineRef"]).map(String::from),
                stop_id: j
                    .text_at(&["MonitoredCall", "StopPointRef"])
                    .or_else(|| j.text_at(&["OnwardCalls", "OnwardCall", "StopPointRef"]))
                    .map(String::from),
                lat,
                lon,
                timestamp: a.text_at(&["RecordedAtTime"]).and_then(parse_instant),
            }),
            _ => out.skipped.push(format!(
                "VehicleActivity n° {} sans véhicule ou sans position",
                k + 1
            )),
        }
    }
    Ok(out)
}
