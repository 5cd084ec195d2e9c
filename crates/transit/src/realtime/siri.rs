//! SIRI Vehicle Monitoring (SIRI 1.x and 2.0, XML, and SIRI Lite's JSON): each VehicleActivity
//! of a VehicleMonitoringDelivery becomes a report. Empty deliveries give no report and no error.

#[cfg(test)]
use super::xml::{parse, El};
use super::{parse_instant, DecodeError, Decoded, VehicleReport};
use quick_xml::events::Event;

/// What one VehicleActivity said, as it is read.
#[derive(Default)]
struct Activity {
    journey: bool,
    lat: String,
    lon: String,
    vehicle: String,
    monitoring_ref: String,
    dated_journey: String,
    journey_ref: String,
    line: String,
    monitored_stop: String,
    onward_stop: String,
    onward_calls: u32,
    recorded_at: String,
}

impl Activity {
    /// The field a text at `rel` (the path below VehicleActivity) goes to.
    fn field(&mut self, rel: &[String]) -> Option<&mut String> {
        let names: Vec<&str> = rel.iter().map(String::as_str).collect();
        Some(match names.as_slice() {
            ["RecordedAtTime"] => &mut self.recorded_at,
            ["VehicleMonitoringRef"] => &mut self.monitoring_ref,
            ["MonitoredVehicleJourney", "VehicleLocation", "Latitude"] => &mut self.lat,
            ["MonitoredVehicleJourney", "VehicleLocation", "Longitude"] => &mut self.lon,
            ["MonitoredVehicleJourney", "VehicleRef"] => &mut self.vehicle,
            ["MonitoredVehicleJourney", "FramedVehicleJourneyRef", "DatedVehicleJourneyRef"] => {
                &mut self.dated_journey
            }
            ["MonitoredVehicleJourney", "VehicleJourneyRef"] => &mut self.journey_ref,
            ["MonitoredVehicleJourney", "LineRef"] => &mut self.line,
            ["MonitoredVehicleJourney", "MonitoredCall", "StopPointRef"] => {
                &mut self.monitored_stop
            }
            ["MonitoredVehicleJourney", "OnwardCalls", "OnwardCall", "StopPointRef"]
                if self.onward_calls <= 1 =>
            {
                &mut self.onward_stop
            }
            _ => return None,
        })
    }

    fn finish(self, k: usize, out: &mut Decoded) {
        let text = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        if !self.journey {
            out.skipped.push(format!(
                "VehicleActivity n° {k} sans MonitoredVehicleJourney"
            ));
            return;
        }
        let lat = self.lat.trim().parse::<f64>().ok();
        let lon = self.lon.trim().parse::<f64>().ok();
        match (
            text(&self.vehicle).or_else(|| text(&self.monitoring_ref)),
            lat,
            lon,
        ) {
            (Some(vehicle), Some(lat), Some(lon)) => out.reports.push(VehicleReport {
                vehicle,
                trip_id: text(&self.dated_journey).or_else(|| text(&self.journey_ref)),
                route_id: text(&self.line),
                stop_id: text(&self.monitored_stop).or_else(|| text(&self.onward_stop)),
                lat,
                lon,
                timestamp: text(&self.recorded_at).as_deref().and_then(parse_instant),
            }),
            _ => out.skipped.push(format!(
                "VehicleActivity n° {k} sans véhicule ou sans position"
            )),
        }
    }
}

/// Reads a SIRI message and returns the positions of its VehicleActivity elements. The message
/// is read as a stream (no tree of the whole delivery: a national one has hundreds of thousands
/// of elements), with the same checks as a tree: one root named Siri, every element closed,
/// nothing outside the root, 64 levels at most.
pub fn decode(xml: &[u8]) -> Result<Decoded, DecodeError> {
    const MAX_DEPTH: usize = 64;
    let text =
        std::str::from_utf8(xml).map_err(|_| DecodeError("XML qui n'est pas en UTF-8".into()))?;
    let mut r = quick_xml::Reader::from_str(text);
    r.config_mut().trim_text(true);
    // The open elements' local names; the buffers are reused from one element to the next.
    let mut path: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut roots = 0u32;
    let mut activity: Option<(usize, Activity)> = None;
    let mut count = 0usize;
    let mut out = Decoded::default();
    let enter =
        |path: &mut Vec<String>, depth: &mut usize, name: &[u8]| -> Result<(), DecodeError> {
            if *depth >= MAX_DEPTH {
                return Err(DecodeError("XML trop profond".into()));
            }
            let name = String::from_utf8_lossy(name);
            match path.get_mut(*depth) {
                Some(b) => {
                    b.clear();
                    b.push_str(&name);
                }
                None => path.push(name.into_owned()),
            }
            *depth += 1;
            Ok(())
        };
    loop {
        let event = r.read_event().map_err(|e| {
            DecodeError(format!(
                "XML illisible à la position {} : {e}",
                r.buffer_position()
            ))
        })?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                if depth == 0 {
                    roots += 1;
                    if roots > 1 {
                        return Err(DecodeError(
                            "XML mal formé : plusieurs éléments racines".into(),
                        ));
                    }
                    if e.local_name().as_ref() != b"Siri" {
                        return Err(DecodeError(format!(
                            "ce n'est pas un message SIRI (élément racine « {} »)",
                            String::from_utf8_lossy(e.local_name().as_ref())
                        )));
                    }
                }
                enter(&mut path, &mut depth, e.local_name().as_ref())?;
                match &mut activity {
                    None if path[depth - 1] == "VehicleActivity" => {
                        activity = Some((depth, Activity::default()));
                    }
                    Some((d, a)) => {
                        let rel = &path[*d..depth];
                        if rel.len() == 1 && rel[0] == "MonitoredVehicleJourney" {
                            a.journey = true;
                        }
                        if rel.len() == 3 && rel[1] == "OnwardCalls" && rel[2] == "OnwardCall" {
                            a.onward_calls += 1;
                        }
                    }
                    None => {}
                }
                if empty {
                    if let Some((_, a)) = activity.take_if(|(d, _)| *d == depth) {
                        count += 1;
                        a.finish(count, &mut out);
                    }
                    depth -= 1;
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| DecodeError(format!("XML illisible : {e}")))?;
                if depth == 0 {
                    if !s.trim().is_empty() {
                        return Err(DecodeError(
                            "XML mal formé : du texte hors de l'élément racine".into(),
                        ));
                    }
                } else if let Some((d, a)) = &mut activity {
                    if let Some(f) = a.field(&path[*d..depth]) {
                        f.push_str(&s);
                    }
                }
            }
            Event::CData(t) => {
                if depth == 0 {
                    return Err(DecodeError(
                        "XML mal formé : du texte hors de l'élément racine".into(),
                    ));
                }
                if let Some((d, a)) = &mut activity {
                    if let Some(f) = a.field(&path[*d..depth]) {
                        f.push_str(&String::from_utf8_lossy(&t));
                    }
                }
            }
            Event::End(_) => {
                if depth == 0 {
                    return Err(DecodeError(
                        "XML mal formé : balise fermante en trop".into(),
                    ));
                }
                if let Some((_, a)) = activity.take_if(|(d, _)| *d == depth) {
                    count += 1;
                    a.finish(count, &mut out);
                }
                depth -= 1;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(DecodeError(
            "XML incomplet : des balises ne sont pas fermées".into(),
        ));
    }
    if roots == 0 {
        return Err(DecodeError("XML vide".into()));
    }
    Ok(out)
}

/// The first reader: the whole delivery as an element tree, then its activities (kept to check
/// the streaming reader against).
#[cfg(test)]
fn decode_tree(xml: &[u8]) -> Result<Decoded, DecodeError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(a: &Decoded, b: &Decoded) {
        assert_eq!(a.reports, b.reports);
        assert_eq!(a.skipped, b.skipped);
    }

    fn activity(vehicle: Option<&str>, lat: Option<f64>, line: &str, onward: &[&str]) -> String {
        let v = vehicle
            .map(|v| format!("<VehicleRef>{v}</VehicleRef>"))
            .unwrap_or_default();
        let l = lat
            .map(|l| format!("<VehicleLocation><Longitude>2.3</Longitude><Latitude>{l}</Latitude></VehicleLocation>"))
            .unwrap_or_default();
        let calls: String = onward
            .iter()
            .map(|s| format!("<OnwardCall><StopPointRef>{s}</StopPointRef></OnwardCall>"))
            .collect();
        format!(
            "<VehicleActivity><RecordedAtTime>2026-11-30T08:00:00+01:00</RecordedAtTime><MonitoredVehicleJourney><LineRef>{line}</LineRef>{v}{l}<OnwardCalls>{calls}</OnwardCalls></MonitoredVehicleJourney></VehicleActivity>"
        )
    }

    proptest! {
        /// The streaming reader reads every delivery as the tree reader did.
        #[test]
        fn streaming_reads_like_the_tree(
            acts in proptest::collection::vec(
                (proptest::option::of("[A-Z]{1,3}-[0-9]{1,4}"), proptest::option::of(50.0f64..52.0), "[A-Z0-9]{1,3}", proptest::collection::vec("S[0-9]{1,3}", 0..3)),
                0..8),
            prefix in "(siri:)?",
        ) {
            let body: String = acts.iter().map(|(v, l, line, calls)| {
                let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
                activity(v.as_deref(), *l, line, &calls)
            }).collect();
            let ns = if prefix.is_empty() { String::new() } else { " xmlns:siri=\"http://www.siri.org.uk/siri\"".to_string() };
            let xml = format!("<{prefix}Siri{ns}><ServiceDelivery><VehicleMonitoringDelivery>{body}</VehicleMonitoringDelivery></ServiceDelivery></{prefix}Siri>")
                .replace("<VehicleActivity>", &format!("<{prefix}VehicleActivity>"))
                .replace("</VehicleActivity>", &format!("</{prefix}VehicleActivity>"));
            let (a, b) = (decode(xml.as_bytes()), decode_tree(xml.as_bytes()));
            match (a, b) {
                (Ok(a), Ok(b)) => same(&a, &b),
                (a, b) => prop_assert!(a.is_err() && b.is_err(), "{a:?} / {b:?}"),
            }
        }

        /// Broken documents are refused by both.
        #[test]
        fn broken_documents_are_refused_alike(cut in 0usize..200) {
            let xml = format!("<Siri><ServiceDelivery>{}</ServiceDelivery></Siri>", activity(Some("B-1"), Some(51.0), "C1", &["S1"]));
            let cut = cut.min(xml.len() - 1);
            let part = &xml.as_bytes()[..cut];
            prop_assert_eq!(decode(part).is_err(), decode_tree(part).is_err());
        }
    }

    #[test]
    fn empty_activity_and_empty_root() {
        let d = decode(b"<Siri><VehicleActivity/></Siri>").expect("reads");
        same(
            &d,
            &decode_tree(b"<Siri><VehicleActivity/></Siri>").expect("reads"),
        );
        assert_eq!(d.skipped.len(), 1);
        assert!(decode(b"<Siri/>").expect("empty").reports.is_empty());
        assert!(decode(b"<Siri/><Siri/>").is_err());
    }
}
