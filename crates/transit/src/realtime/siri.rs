//! SIRI Vehicle Monitoring (SIRI 1.x and 2.0, XML, and SIRI Lite's JSON): each VehicleActivity
//! of a VehicleMonitoringDelivery becomes a report. Empty deliveries give no report and no error.

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

/// Reads a SIRI message as XML or as SIRI Lite JSON, whichever it is (by its first character).
pub fn decode_any(body: &[u8]) -> Result<Decoded, DecodeError> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    match start.map(|i| body[i]) {
        Some(b'{') => decode_json(body),
        Some(_) => decode(body),
        None => Err(DecodeError("le message SIRI est vide".into())),
    }
}

/// A SIRI Lite JSON value as text: a string, a number, or an object with "value" (some
/// producers wrap every reference that way).
fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Object(o) => json_text(o.get("value")),
        serde_json::Value::Array(a) => json_text(a.first()),
        _ => None,
    }
}

fn json_number(v: Option<&serde_json::Value>) -> Option<f64> {
    match v? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One element or a list of them, as a list.
fn json_list(v: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    match v {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(o) => vec![o],
    }
}

/// Reads a SIRI Lite JSON delivery (`{"Siri":{"ServiceDelivery":{"VehicleMonitoringDelivery":
/// [{"VehicleActivity":[…]}]}}}`).
pub fn decode_json(body: &[u8]) -> Result<Decoded, DecodeError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| DecodeError(format!("JSON illisible ({e})")))?;
    let Some(siri) = v.get("Siri") else {
        return Err(DecodeError(
            "ce n'est pas un message SIRI (pas d'objet « Siri »)".into(),
        ));
    };
    let delivery = siri.get("ServiceDelivery").unwrap_or(siri);
    let mut out = Decoded::default();
    let mut k = 0;
    for vmd in json_list(delivery.get("VehicleMonitoringDelivery")) {
        for a in json_list(vmd.get("VehicleActivity")) {
            k += 1;
            let Some(j) = a.get("MonitoredVehicleJourney") else {
                out.skipped.push(format!(
                    "VehicleActivity n° {k} sans MonitoredVehicleJourney"
                ));
                continue;
            };
            let loc = j.get("VehicleLocation");
            let lat = json_number(loc.and_then(|l| l.get("Latitude")));
            let lon = json_number(loc.and_then(|l| l.get("Longitude")));
            let vehicle =
                json_text(j.get("VehicleRef")).or_else(|| json_text(a.get("VehicleMonitoringRef")));
            match (vehicle, lat, lon) {
                (Some(vehicle), Some(lat), Some(lon)) => out.reports.push(VehicleReport {
                    vehicle,
                    trip_id: json_text(
                        j.get("FramedVehicleJourneyRef")
                            .and_then(|f| f.get("DatedVehicleJourneyRef")),
                    )
                    .or_else(|| json_text(j.get("VehicleJourneyRef"))),
                    route_id: json_text(j.get("LineRef")),
                    stop_id: json_text(j.get("MonitoredCall").and_then(|c| c.get("StopPointRef")))
                        .or_else(|| {
                            json_list(j.get("OnwardCalls").and_then(|c| c.get("OnwardCall")))
                                .first()
                                .and_then(|c| json_text(c.get("StopPointRef")))
                        }),
                    lat,
                    lon,
                    timestamp: json_text(a.get("RecordedAtTime"))
                        .as_deref()
                        .and_then(parse_instant),
                }),
                _ => out.skipped.push(format!(
                    "VehicleActivity n° {k} sans véhicule ou sans position"
                )),
            }
        }
    }
    Ok(out)
}
