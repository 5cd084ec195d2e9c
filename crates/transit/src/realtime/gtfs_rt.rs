//! GTFS-realtime, VehiclePositions only, read straight from the protobuf wire format: the
//! build needs no `protoc`, and the few fields DKLIK uses are decoded by hand. Field numbers are
//! those of gtfs-realtime.proto (FeedMessage, FeedEntity, VehiclePosition, TripDescriptor,
//! VehicleDescriptor, Position). Unknown fields are skipped.

use super::{DecodeError, Decoded, VehicleReport};

/// A protobuf field as read from the wire.
enum Value<'a> {
    Varint(u64),
    /// Read and skipped: no field DKLIK uses is a fixed64.
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| DecodeError("message tronqué (varint)".into()))?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(DecodeError("varint trop long".into()));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError("varint trop long".into()))
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| DecodeError("message tronqué".into()))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// The next (field number, value), or None at the end.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, DecodeError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (num, wire) = (key >> 3, key & 7);
        if num == 0 {
            return Err(DecodeError("numéro de champ 0 interdit".into()));
        }
        let v = match wire {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?)
                    .map_err(|_| DecodeError("longueur impossible".into()))?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            w => {
                return Err(DecodeError(format!(
                    "type de champ protobuf {w} non pris en charge"
                )))
            }
        };
        Ok(Some((num, v)))
    }
}

fn string(b: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(b.to_vec()).map_err(|_| DecodeError("texte qui n'est pas de l'UTF-8".into()))
}

#[derive(Default)]
struct Vp {
    trip_id: Option<String>,
    route_id: Option<String>,
    vehicle_id: Option<String>,
    vehicle_label: Option<String>,
    lat: Option<f32>,
    lon: Option<f32>,
    stop_id: Option<String>,
    timestamp: Option<u64>,
}

fn vehicle_position(buf: &[u8]) -> Result<Vp, DecodeError> {
    let mut vp = Vp::default();
    let mut r = Reader::new(buf);
    while let Some((num, v)) = r.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => {
                let mut t = Reader::new(b);
                while let Some((n, v)) = t.field()? {
                    match (n, v) {
                        (1, Value::Bytes(s)) => vp.trip_id = Some(string(s)?),
                        (5, Value::Bytes(s)) => vp.route_id = Some(string(s)?),
                        _ => {}
                    }
                }
            }
            (2, Value::Bytes(b)) => {
                let mut p = Reader::new(b);
                while let Some((n, v)) = p.field()? {
                    match (n, v) {
                        (1, Value::Fixed32(x)) => vp.lat = Some(f32::from_bits(x)),
                        (2, Value::Fixed32(x)) => vp.lon = Some(f32::from_bits(x)),
                        _ => {}
                    }
                }
            }
            (5, Value::Varint(t)) => vp.timestamp = Some(t),
            (7, Value::Bytes(s)) => vp.stop_id = Some(string(s)?),
            (8, Value::Bytes(b)) => {
                let mut d = Reader::new(b);
                while let Some((n, v)) = d.field()? {
                    match (n, v) {
                        (1, Value::Bytes(s)) => vp.vehicle_id = Some(string(s)?),
                        (2, Value::Bytes(s)) => vp.vehicle_label = Some(string(s)?),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(vp)
}

/// Reads a FeedMessage and returns its vehicle positions.
pub fn decode(buf: &[u8]) -> Result<Decoded, DecodeError> {
    let mut out = Decoded::default();
    let mut header_ts: Option<u64> = None;
    let mut saw_header = false;
    let mut r = Reader::new(buf);
    while let Some((num, v)) = r.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => {
                saw_header = true;
                let mut h = Reader::new(b);
                while let Some((n, v)) = h.field()? {
                    if let (3, Value::Varint(t)) = (n, v) {
                        header_ts = Some(t);
                    }
                }
            }
            (2, Value::Bytes(b)) => {
                let mut e = Reader::new(b);
                let mut id = String::new();
                let mut vp = None;
                let mut other: Option<&'static str> = None;
                while let Some((n, v)) = e.field()? {
                    match (n, v) {
                        (1, Value::Bytes(s)) => id = string(s)?,
                        (4, Value::Bytes(b)) => vp = Some(vehicle_position(b)?),
                        // FeedEntity: 3 trip_update, 5 alert, 6 shape, 7 stop, 8 trip_modifications.
                        (3, _) => other = Some("trip_update"),
                        (5, _) => other = Some("alert"),
                        (6..=8, _) => other = other.or(Some("autre")),
                        _ => {}
                    }
                }
                let Some(vp) = vp else {
                    *out.ignored.entry(other.unwrap_or("vide")).or_default() += 1;
                    continue;
                };
                let vehicle = vp
                    .vehicle_id
                    .clone()
                    .or(vp.vehicle_label.clone())
                    .unwrap_or(id.clone());
                match (vp.lat, vp.lon) {
                    (Some(lat), Some(lon)) if !vehicle.is_empty() => {
                        out.reports.push(VehicleReport {
                            vehicle,
                            trip_id: vp.trip_id,
                            route_id: vp.route_id,
                            stop_id: vp.stop_id,
                            lat: f64::from(lat),
                            lon: f64::from(lon),
                            timestamp: vp
                                .timestamp
                                .or(header_ts)
                                .and_then(|t| i64::try_from(t).ok()),
                        })
                    }
                    _ => out
                        .skipped
                        .push(format!("entité « {id} » sans position ou sans véhicule")),
                }
            }
            _ => {}
        }
    }
    if !saw_header {
        return Err(DecodeError(
            "ce n'est pas un FeedMessage GTFS-realtime (pas d'en-tête)".into(),
        ));
    }
    Ok(out)
}

/// Writes a FeedMessage of vehicle positions (for the replay simulator and tests).
pub fn encode(reports: &[VehicleReport], header_timestamp: u64) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn bytes(out: &mut Vec<u8>, num: u64, b: &[u8]) {
        varint(out, (num << 3) | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }
    let mut msg = Vec::new();
    let mut header = Vec::new();
    bytes(&mut header, 1, b"2.0");
    varint(&mut header, 3 << 3);
    varint(&mut header, header_timestamp);
    bytes(&mut msg, 1, &header);
    for (i, r) in reports.iter().enumerate() {
        let mut vp = Vec::new();
        if r.trip_id.is_some() || r.route_id.is_some() {
            let mut trip = Vec::new();
            if let Some(t) = &r.trip_id {
                bytes(&mut trip, 1, t.as_bytes());
            }
            if let Some(t) = &r.route_id {
                bytes(&mut trip, 5, t.as_bytes());
            }
            bytes(&mut vp, 1, &trip);
        }
        let mut pos = Vec::new();
        varint(&mut pos, (1 << 3) | 5);
        pos.extend_from_slice(&(r.lat as f32).to_bits().to_le_bytes());
        varint(&mut pos, (2 << 3) | 5);
        pos.extend_from_slice(&(r.lon as f32).to_bits().to_le_bytes());
        bytes(&mut vp, 2, &pos);
        if let Some(t) = r.timestamp {
            varint(&mut vp, 5 << 3);
            varint(&mut vp, t.max(0) as u64);
        }
        if let Some(s) = &r.stop_id {
            bytes(&mut vp, 7, s.as_bytes());
        }
        let mut desc = Vec::new();
        bytes(&mut desc, 1, r.vehicle.as_bytes());
        bytes(&mut vp, 8, &desc);
        let mut entity = Vec::new();
        bytes(&mut entity, 1, format!("e{i}").as_bytes());
        bytes(&mut entity, 4, &vp);
        bytes(&mut msg, 2, &entity);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = vec![VehicleReport {
            vehicle: "bus-12".into(),
            trip_id: Some("T1".into()),
            route_id: Some("11".into()),
            stop_id: Some("S020".into()),
            lat: 51.03,
            lon: 2.269,
            timestamp: Some(1_800_000_000),
        }];
        let d = decode(&encode(&r, 1_800_000_001)).unwrap();
        assert_eq!(d.reports.len(), 1);
        let got = &d.reports[0];
        assert_eq!(
            (
                got.vehicle.as_str(),
                got.trip_id.as_deref(),
                got.stop_id.as_deref()
            ),
            ("bus-12", Some("T1"), Some("S020"))
        );
        assert!((got.lat - 51.03).abs() < 1e-5 && (got.lon - 2.269).abs() < 1e-5);
        assert_eq!(got.timestamp, Some(1_800_000_000));
    }

    #[test]
    fn malformed_messages_are_refused_not_crashing() {
        assert!(decode(b"").is_err());
        assert!(decode(&[0x0a, 0x05, 0x01]).is_err(), "truncated");
        assert!(decode(&[0xff; 12]).is_err(), "endless varint");
        assert!(decode(&[0x0b]).is_err(), "group wire type");
        assert!(decode(b"<xml>not protobuf</xml>").is_err());
    }
}
