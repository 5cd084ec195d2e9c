//! Vehicle positions as they arrive: GTFS-realtime VehiclePositions (protobuf), SIRI Vehicle
//! Monitoring (XML), ITxPT S02P03 GNSSLocation (XML datagrams). Each decoder turns its format
//! into [`VehicleReport`]s; fields a decoder does not know are skipped, never fatal.

pub mod gtfs_rt;
pub mod itxpt;
pub mod siri;
mod xml;

use serde::{Deserialize, Serialize};

/// One vehicle's position, whatever format it came in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleReport {
    /// The vehicle's id in its feed.
    pub vehicle: String,
    /// The trip it runs, when the feed says.
    pub trip_id: Option<String>,
    /// The route (line), when the feed says.
    pub route_id: Option<String>,
    /// The stop, when the feed says.
    pub stop_id: Option<String>,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Unix seconds; None when the feed gave no time (the receiver then uses its own clock).
    pub timestamp: Option<i64>,
}

/// A message that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// What a decoder read: the reports, and the entities it skipped with why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The vehicles' positions read.
    pub reports: Vec<VehicleReport>,
    /// What could not be read, said in French.
    pub skipped: Vec<String>,
    /// What a feed carried beside vehicle positions (trip updates, alerts…), counted by kind
    /// and otherwise ignored: many operators publish one feed with all of them.
    pub ignored: std::collections::BTreeMap<&'static str, u64>,
}

/// Parses an ISO 8601 / RFC 3339 instant ("2012-09-12T09:28:07.536-04:00").
pub fn parse_instant(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}
