//! The replay simulator: where each bus of a GTFS timetable is at a given moment of a given
//! day, positions interpolated along the trip's shape (or straight between stops without one).
//! `dklik replay` and `dklik demo` send these positions through the real ingestion path.

use crate::gtfs::Feed;
use crate::realtime::VehicleReport;
use std::collections::HashMap;

/// A trip running on the simulated day, ready to be placed.
struct RunningTrip {
    trip_id: String,
    route_id: String,
    /// (seconds after midnight, stop id, lat, lon, index of the nearest shape point)
    stops: Vec<(u32, String, f64, f64, usize)>,
    shape: Vec<(f64, f64)>,
}

/// Drives the day's trips along their stops and shapes: positions at any time.
pub struct Simulator {
    trips: Vec<RunningTrip>,
}

/// Whether a service runs on a day (YYYYMMDD, with its weekday, Monday = 0).
fn runs(feed: &Feed, service: &str, day: u32, weekday: usize) -> bool {
    if let Some(cd) = feed
        .calendar_dates
        .iter()
        .find(|c| c.service_id == service && c.date == day)
    {
        return cd.added;
    }
    feed.calendars
        .iter()
        .any(|c| c.service_id == service && c.start <= day && day <= c.end && c.days[weekday])
}

fn nearest_index(shape: &[(f64, f64)], lat: f64, lon: f64, from: usize) -> usize {
    let mut best = (from, f64::MAX);
    for (i, (a, b)) in shape.iter().enumerate().skip(from) {
        let d = (a - lat).powi(2) + (b - lon).powi(2);
        if d < best.1 {
            best = (i, d);
        }
    }
    best.0
}

impl Simulator {
    /// The trips of `day` (YYYYMMDD; `weekday` 0 = Monday).
    pub fn new(feed: &Feed, day: u32, weekday: usize) -> Self {
        let stops: HashMap<&str, (f64, f64)> = feed
            .stops
            .iter()
            .map(|s| (s.id.as_str(), (s.lat, s.lon)))
            .collect();
        let mut shapes: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
        for p in &feed.shapes {
            shapes
                .entry(p.shape_id.as_str())
                .or_default()
                .push((p.lat, p.lon));
        }
        let mut times: HashMap<&str, Vec<&crate::gtfs::StopTime>> = HashMap::new();
        for st in &feed.stop_times {
            times.entry(st.trip_id.as_str()).or_default().push(st);
        }
        let mut trips = Vec::new();
        for t in &feed.trips {
            if !runs(feed, &t.service_id, day, weekday) {
                continue;
            }
            let Some(sts) = times.get(t.id.as_str()) else {
                continue;
            };
            let shape = shapes.get(t.shape_id.as_str()).cloned().unwrap_or_default();
            let mut from = 0;
            let mut list = Vec::new();
            for st in sts {
                let Some(&(lat, lon)) = stops.get(st.stop_id.as_str()) else {
                    continue;
                };
                let idx = if shape.is_empty() {
                    0
                } else {
                    nearest_index(&shape, lat, lon, from)
                };
                from = idx;
                list.push((st.arrival, st.stop_id.clone(), lat, lon, idx));
            }
            if list.len() >= 2 {
                trips.push(RunningTrip {
                    trip_id: t.id.clone(),
                    route_id: t.route_id.clone(),
                    stops: list,
                    shape,
                });
            }
        }
        Self { trips }
    }

    /// How many trips run that day.
    pub fn trip_count(&self) -> usize {
        self.trips.len()
    }

    /// Every bus on the road at `t` seconds after midnight of the simulated day. Each trip is
    /// its own vehicle ("V-" and the trip id); `timestamp` is left for the sender to set.
    pub fn positions_at(&self, t: u32) -> Vec<VehicleReport> {
        let mut out = Vec::new();
        for trip in &self.trips {
            let (first, last) = (trip.stops[0].0, trip.stops[trip.stops.len() - 1].0);
            if t < first || t > last {
                continue;
            }
            let k = trip
                .stops
                .windows(2)
                .position(|w| w[0].0 <= t && t <= w[1].0)
                .unwrap_or(0);
            let (a, b) = (&trip.stops[k], &trip.stops[k + 1]);
            let f = if b.0 > a.0 {
                f64::from(t - a.0) / f64::from(b.0 - a.0)
            } else {
                0.0
            };
            let (lat, lon) = along(&trip.shape, (a.2, a.3, a.4), (b.2, b.3, b.4), f);
            out.push(VehicleReport {
                vehicle: format!("V-{}", trip.trip_id),
                trip_id: Some(trip.trip_id.clone()),
                route_id: Some(trip.route_id.clone()),
                stop_id: None,
                lat,
                lon,
                timestamp: None,
            });
        }
        out
    }
}

/// The point at fraction `f` of the way from stop `a` to stop `b`, following the shape points
/// between them when there are some.
fn along(shape: &[(f64, f64)], a: (f64, f64, usize), b: (f64, f64, usize), f: f64) -> (f64, f64) {
    let mut pts = vec![(a.0, a.1)];
    if !shape.is_empty() && b.2 > a.2 + 1 {
        pts.extend_from_slice(&shape[a.2 + 1..b.2]);
    }
    pts.push((b.0, b.1));
    let seg = |p: &(f64, f64), q: &(f64, f64)| {
        ((p.0 - q.0).powi(2) + ((p.1 - q.1) * 0.63).powi(2)).sqrt()
    };
    let total: f64 = pts.windows(2).map(|w| seg(&w[0], &w[1])).sum();
    if total == 0.0 {
        return (a.0, a.1);
    }
    let mut want = f.clamp(0.0, 1.0) * total;
    for w in pts.windows(2) {
        let l = seg(&w[0], &w[1]);
        if want <= l && l > 0.0 {
            let g = want / l;
            return (
                w[0].0 + (w[1].0 - w[0].0) * g,
                w[0].1 + (w[1].1 - w[0].1) * g,
            );
        }
        want -= l;
    }
    (b.0, b.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gtfs::{Calendar, CalendarDate, Feed, Stop, StopTime, Trip};

    fn feed() -> Feed {
        let stop = |id: &str, lat: f64| Stop {
            id: id.into(),
            code: String::new(),
            name: id.into(),
            lat,
            lon: 2.3,
            location_type: 0,
            parent_station: String::new(),
        };
        let st = |stop: &str, t: u32, seq: u32| StopTime {
            trip_id: "T".into(),
            stop_id: stop.into(),
            sequence: seq,
            arrival: t,
            departure: t,
        };
        Feed {
            stops: vec![stop("A", 51.0), stop("B", 51.01)],
            trips: vec![Trip {
                id: "T".into(),
                route_id: "R".into(),
                service_id: "WK".into(),
                shape_id: String::new(),
                headsign: String::new(),
                direction_id: 0,
            }],
            stop_times: vec![st("A", 3600, 1), st("B", 4200, 2)],
            calendars: vec![Calendar {
                service_id: "WK".into(),
                days: [true, true, true, true, true, false, false],
                start: 20260101,
                end: 20271231,
            }],
            calendar_dates: vec![CalendarDate {
                service_id: "WK".into(),
                date: 20261225,
                added: false,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_bus_moves_between_its_stops_on_service_days_only() {
        let f = feed();
        let monday = Simulator::new(&f, 20261130, 0);
        assert!(monday.positions_at(3000).is_empty(), "not yet left");
        let mid = monday.positions_at(3900);
        assert_eq!(mid.len(), 1);
        assert!((mid[0].lat - 51.005).abs() < 1e-9, "{}", mid[0].lat);
        assert!(monday.positions_at(4300).is_empty(), "arrived");
        assert_eq!(
            Simulator::new(&f, 20261128, 5).trip_count(),
            0,
            "no service on Saturday"
        );
        assert_eq!(
            Simulator::new(&f, 20261225, 4).trip_count(),
            0,
            "Christmas removed by calendar_dates"
        );
    }
}
