//! GTFS static (https://gtfs.org/schedule/reference/): the files DKLIK uses, checked.
//!
//! Accepted as found in real feeds: CRLF line ends, a byte-order mark, a missing final newline,
//! quoted fields, columns in any order and columns we do not use. Times may pass 24:00:00 (a
//! trip after midnight belongs to the previous service day). A feed with any malformed row is
//! refused whole, every problem listed by file, line and column.

use dklik_imports::table::{Table, MAX_PROBLEMS};
use dklik_imports::ImportErrors;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

/// An operator (`agency.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    /// `agency_id`.
    pub id: String,
    /// `agency_name`.
    pub name: String,
    /// `agency_timezone` (Europe/Paris here).
    pub timezone: String,
}

/// A line (`routes.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// `route_id`.
    pub id: String,
    /// `agency_id`.
    pub agency_id: String,
    /// `route_short_name`, as on the bus ("C4").
    pub short_name: String,
    /// `route_long_name`.
    pub long_name: String,
    /// `route_type` (3: bus).
    pub route_type: i32,
    /// `route_color`, hex without `#`.
    pub color: String,
    /// `route_text_color`.
    pub text_color: String,
}

/// A stop (`stops.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// `stop_id`.
    pub id: String,
    /// `stop_code`, as printed at the stop.
    pub code: String,
    /// `stop_name`.
    pub name: String,
    /// `stop_lat`.
    pub lat: f64,
    /// `stop_lon`.
    pub lon: f64,
    /// 0 stop, 1 station, 2 entrance…
    pub location_type: i32,
    /// `parent_station` (empty for a plain stop).
    pub parent_station: String,
}

/// A trip (`trips.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    /// `trip_id`.
    pub id: String,
    /// `route_id`.
    pub route_id: String,
    /// `service_id`: its calendar.
    pub service_id: String,
    /// `shape_id` (may be empty).
    pub shape_id: String,
    /// `trip_headsign`.
    pub headsign: String,
    /// `direction_id` (0 or 1).
    pub direction_id: i32,
}

/// A trip's passage at a stop (`stop_times.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopTime {
    /// `trip_id`.
    pub trip_id: String,
    /// `stop_id`.
    pub stop_id: String,
    /// `stop_sequence`.
    pub sequence: u32,
    /// Seconds after the start of the service day (may pass 86,400).
    pub arrival: u32,
    /// Departure, seconds after the start of the service day.
    pub departure: u32,
}

/// A weekly service (`calendar.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    /// `service_id`.
    pub service_id: String,
    /// Monday first.
    pub days: [bool; 7],
    /// `start_date`, YYYYMMDD.
    pub start: u32,
    /// `end_date`, YYYYMMDD.
    pub end: u32,
}

/// An exception to a service (`calendar_dates.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDate {
    /// `service_id`.
    pub service_id: String,
    /// YYYYMMDD as a number.
    pub date: u32,
    /// true: service added that day; false: removed.
    pub added: bool,
}

/// A point of a trip's drawn path (`shapes.txt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapePoint {
    /// `shape_id`.
    pub shape_id: String,
    /// `shape_pt_lat`.
    pub lat: f64,
    /// `shape_pt_lon`.
    pub lon: f64,
    /// `shape_pt_sequence`.
    pub sequence: u32,
}

/// A whole feed, checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    /// Operators.
    pub agencies: Vec<Agency>,
    /// Lines.
    pub routes: Vec<Route>,
    /// Stops.
    pub stops: Vec<Stop>,
    /// Trips.
    pub trips: Vec<Trip>,
    /// Sorted by trip, then sequence.
    pub stop_times: Vec<StopTime>,
    /// Weekly services.
    pub calendars: Vec<Calendar>,
    /// Exceptions to services.
    pub calendar_dates: Vec<CalendarDate>,
    /// Sorted by shape, then sequence.
    pub shapes: Vec<ShapePoint>,
    /// Things read but not used (frequencies.txt…), said to the person importing.
    pub notes: Vec<String>,
}

impl Feed {
    /// Rows per table, for a report.
    pub fn counts(&self) -> [(&'static str, usize); 8] {
        [
            ("agences", self.agencies.len()),
            ("lignes", self.routes.len()),
            ("arrêts", self.stops.len()),
            ("courses", self.trips.len()),
            ("horaires de passage", self.stop_times.len()),
            ("calendriers", self.calendars.len()),
            ("exceptions de calendrier", self.calendar_dates.len()),
            ("points de tracé", self.shapes.len()),
        ]
    }
}

/// The largest feed accepted (files uncompressed, all together).
pub const MAX_FEED_BYTES: u64 = 512 * 1024 * 1024;

/// Reads a feed from a folder or a `.zip` file.
pub fn read(path: &Path) -> Result<Feed, ImportErrors> {
    let mut errs = ImportErrors::default();
    let place = path.display().to_string();
    let files = if path.is_dir() {
        read_folder(path, &mut errs)
    } else if path.is_file() {
        read_zip(path, &mut errs)
    } else {
        errs.push(&place, "", "ni dossier ni fichier zip à cet endroit.");
        None
    };
    match files {
        Some(f) if errs.is_empty() => parse(&f),
        _ => Err(errs),
    }
}

fn read_folder(dir: &Path, errs: &mut ImportErrors) -> Option<HashMap<String, Vec<u8>>> {
    let mut out = HashMap::new();
    let mut total = 0u64;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errs.push(
                &dir.display().to_string(),
                "",
                format!("lecture impossible ({e})."),
            );
            return None;
        }
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.ends_with(".txt") {
            continue;
        }
        total += e.metadata().map(|m| m.len()).unwrap_or(0);
        if total > MAX_FEED_BYTES {
            errs.push(&name, "", "flux trop gros (512 Mo au plus).");
            return None;
        }
        match std::fs::read(e.path()) {
            Ok(b) => {
                out.insert(name, b);
            }
            Err(err) => errs.push(&name, "", format!("lecture impossible ({err}).")),
        }
    }
    Some(out)
}

fn read_zip(path: &Path, errs: &mut ImportErrors) -> Option<HashMap<String, Vec<u8>>> {
    let place = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            errs.push(&place, "", format!("ouverture impossible ({e})."));
            return None;
        }
    };
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(z) => z,
        Err(e) => {
            errs.push(
                &place,
                "",
                format!("ce n'est pas un fichier zip lisible ({e})."),
            );
            return None;
        }
    };
    let mut out = HashMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                errs.push(&place, "", format!("entrée {i} illisible ({e})."));
                continue;
            }
        };
        // Feeds are sometimes zipped with their folder: keep the file name only.
        let name = f.name().rsplit('/').next().unwrap_or("").to_string();
        if !name.ends_with(".txt") || f.is_dir() {
            continue;
        }
        total += f.size();
        if total > MAX_FEED_BYTES {
            errs.push(
                &name,
                "",
                "flux trop gros une fois décompressé (512 Mo au plus).",
            );
            return None;
        }
        let mut b = Vec::with_capacity(f.size() as usize);
        if let Err(e) = f.by_ref().take(MAX_FEED_BYTES).read_to_end(&mut b) {
            errs.push(&name, "", format!("décompression impossible ({e})."));
            continue;
        }
        out.insert(name, b);
    }
    Some(out)
}

/// "5:03:00" or "25:10:00" → seconds.
pub fn parse_time(s: &str) -> Result<u32, String> {
    let bad =
        || format!("« {s} » n'est pas une heure GTFS (HH:MM:SS, au-delà de 24:00:00 permis).");
    let mut it = s.split(':');
    let (Some(h), Some(m), Some(sec), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let sec: u32 = sec.parse().map_err(|_| bad())?;
    if m > 59 || sec > 59 || h > 72 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60 + sec)
}

/// "20261129" → 20261129, checked as a real date.
pub fn parse_date(s: &str) -> Result<u32, String> {
    let bad = || format!("« {s} » n'est pas une date GTFS (AAAAMMJJ).");
    if s.len() != 8 {
        return Err(bad());
    }
    let n: u32 = s.parse().map_err(|_| bad())?;
    let (y, m, d) = (n / 10_000, (n / 100) % 100, n % 100);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1900..=2200).contains(&y) {
        return Err(bad());
    }
    Ok(n)
}

fn coord(s: &str, max: f64) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("« {s} » n'est pas un nombre."))?;
    if v.is_finite() && v.abs() <= max {
        Ok(v)
    } else {
        Err(format!("{v} est hors limites (±{max})."))
    }
}

const REQUIRED_FILES: [&str; 5] = [
    "agency.txt",
    "routes.txt",
    "stops.txt",
    "trips.txt",
    "stop_times.txt",
];

/// Parses a feed given as file name → bytes.
pub fn parse(files: &HashMap<String, Vec<u8>>) -> Result<Feed, ImportErrors> {
    let mut errs = ImportErrors::default();
    for f in REQUIRED_FILES {
        if !files.contains_key(f) {
            errs.push(f, "", "fichier obligatoire absent du flux.");
        }
    }
    if !files.contains_key("calendar.txt") && !files.contains_key("calendar_dates.txt") {
        errs.push(
            "calendar.txt",
            "",
            "il faut calendar.txt ou calendar_dates.txt.",
        );
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut feed = Feed::default();
    for extra in ["frequencies.txt"] {
        if files.contains_key(extra) {
            feed.notes.push(format!("{extra} est lu mais pas encore utilisé : les courses à fréquence ne sont pas développées."));
        }
    }

    if let Some(t) = Table::read(
        "agency.txt",
        files,
        &["agency_name", "agency_timezone"],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let (Some(name), Some(tz)) = (
                r.required("agency_name", &mut errs),
                r.required("agency_timezone", &mut errs),
            ) else {
                continue;
            };
            feed.agencies.push(Agency {
                id: r.get("agency_id").to_string(),
                name: name.into(),
                timezone: tz.into(),
            });
        }
    }

    let mut route_ids = HashSet::new();
    if let Some(t) = Table::read(
        "routes.txt",
        files,
        &["route_id", "route_type"],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let Some(id) = r.required("route_id", &mut errs) else {
                continue;
            };
            let (short, long) = (r.get("route_short_name"), r.get("route_long_name"));
            if short.is_empty() && long.is_empty() {
                r.problem(
                    &mut errs,
                    "route_short_name",
                    "il faut un nom court ou un nom long.",
                );
            }
            let route_type = r.int_or("route_type", 3, &mut errs);
            if !route_ids.insert(id.to_string()) {
                r.problem(&mut errs, "route_id", format!("ligne « {id} » en double."));
                continue;
            }
            feed.routes.push(Route {
                id: id.into(),
                agency_id: r.get("agency_id").into(),
                short_name: short.into(),
                long_name: long.into(),
                route_type,
                color: r.get("route_color").into(),
                text_color: r.get("route_text_color").into(),
            });
        }
    }

    let mut stop_ids = HashSet::new();
    if let Some(t) = Table::read("stops.txt", files, &["stop_id"], true, "", &mut errs) {
        for r in t.rows() {
            let Some(id) = r.required("stop_id", &mut errs) else {
                continue;
            };
            let location_type = r.int_or("location_type", 0, &mut errs);
            // Coordinates are required for stops, stations and entrances (types 0, 1, 2).
            let needs_coords = location_type <= 2;
            let (lat, lon) = if needs_coords {
                (
                    r.parsed("stop_lat", &mut errs, |s| coord(s, 90.0)),
                    r.parsed("stop_lon", &mut errs, |s| coord(s, 180.0)),
                )
            } else {
                (
                    Some(r.get("stop_lat").parse().unwrap_or(0.0)),
                    Some(r.get("stop_lon").parse().unwrap_or(0.0)),
                )
            };
            if !stop_ids.insert(id.to_string()) {
                r.problem(&mut errs, "stop_id", format!("arrêt « {id} » en double."));
                continue;
            }
            let (Some(lat), Some(lon)) = (lat, lon) else {
                continue;
            };
            feed.stops.push(Stop {
                id: id.into(),
                code: r.get("stop_code").into(),
                name: r.get("stop_name").into(),
                lat,
                lon,
                location_type,
                parent_station: r.get("parent_station").into(),
            });
        }
    }
    if errs.0.len() >= MAX_PROBLEMS {
        return Err(errs);
    }

    let mut service_ids = HashSet::new();
    if let Some(t) = Table::read(
        "calendar.txt",
        files,
        &[
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let Some(id) = r.required("service_id", &mut errs) else {
                continue;
            };
            let mut days = [false; 7];
            for (i, d) in [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ]
            .iter()
            .enumerate()
            {
                days[i] = match r.get(d) {
                    "1" => true,
                    "0" => false,
                    other => {
                        r.problem(&mut errs, d, format!("« {other} » : il faut 0 ou 1."));
                        false
                    }
                };
            }
            let (Some(start), Some(end)) = (
                r.parsed("start_date", &mut errs, parse_date),
                r.parsed("end_date", &mut errs, parse_date),
            ) else {
                continue;
            };
            if end < start {
                r.problem(
                    &mut errs,
                    "end_date",
                    "la date de fin est avant la date de début.",
                );
            }
            service_ids.insert(id.to_string());
            feed.calendars.push(Calendar {
                service_id: id.into(),
                days,
                start,
                end,
            });
        }
    }
    if let Some(t) = Table::read(
        "calendar_dates.txt",
        files,
        &["service_id", "date", "exception_type"],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let (Some(id), Some(date)) = (
                r.required("service_id", &mut errs),
                r.parsed("date", &mut errs, parse_date),
            ) else {
                continue;
            };
            let added = match r.get("exception_type") {
                "1" => true,
                "2" => false,
                other => {
                    r.problem(
                        &mut errs,
                        "exception_type",
                        format!("« {other} » : il faut 1 (ajout) ou 2 (suppression)."),
                    );
                    continue;
                }
            };
            service_ids.insert(id.to_string());
            feed.calendar_dates.push(CalendarDate {
                service_id: id.into(),
                date,
                added,
            });
        }
    }

    let mut shape_ids = HashSet::new();
    if let Some(t) = Table::read(
        "shapes.txt",
        files,
        &[
            "shape_id",
            "shape_pt_lat",
            "shape_pt_lon",
            "shape_pt_sequence",
        ],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let (Some(id), Some(lat), Some(lon), Some(seq)) = (
                r.required("shape_id", &mut errs),
                r.parsed("shape_pt_lat", &mut errs, |s| coord(s, 90.0)),
                r.parsed("shape_pt_lon", &mut errs, |s| coord(s, 180.0)),
                r.parsed("shape_pt_sequence", &mut errs, |s| {
                    s.parse::<u32>()
                        .map_err(|_| format!("« {s} » n'est pas un entier positif."))
                }),
            ) else {
                continue;
            };
            shape_ids.insert(id.to_string());
            feed.shapes.push(ShapePoint {
                shape_id: id.into(),
                lat,
                lon,
                sequence: seq,
            });
        }
        feed.shapes.sort_by(|a, b| {
            a.shape_id
                .cmp(&b.shape_id)
                .then(a.sequence.cmp(&b.sequence))
        });
    }
    if errs.0.len() >= MAX_PROBLEMS {
        return Err(errs);
    }

    let mut trip_ids = HashSet::new();
    if let Some(t) = Table::read(
        "trips.txt",
        files,
        &["route_id", "service_id", "trip_id"],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let (Some(id), Some(route), Some(service)) = (
                r.required("trip_id", &mut errs),
                r.required("route_id", &mut errs),
                r.required("service_id", &mut errs),
            ) else {
                continue;
            };
            if !route_ids.contains(route) {
                r.problem(
                    &mut errs,
                    "route_id",
                    format!("la ligne « {route} » n'existe pas dans routes.txt."),
                );
            }
            if !service_ids.contains(service) {
                r.problem(
                    &mut errs,
                    "service_id",
                    format!("le service « {service} » n'est dans aucun calendrier."),
                );
            }
            let shape = r.get("shape_id");
            if !shape.is_empty() && !shape_ids.contains(shape) {
                r.problem(
                    &mut errs,
                    "shape_id",
                    format!("le tracé « {shape} » n'existe pas dans shapes.txt."),
                );
            }
            if !trip_ids.insert(id.to_string()) {
                r.problem(&mut errs, "trip_id", format!("course « {id} » en double."));
                continue;
            }
            feed.trips.push(Trip {
                id: id.into(),
                route_id: route.into(),
                service_id: service.into(),
                shape_id: shape.into(),
                headsign: r.get("trip_headsign").into(),
                direction_id: r.int_or("direction_id", 0, &mut errs),
            });
        }
    }
    if errs.0.len() >= MAX_PROBLEMS {
        return Err(errs);
    }

    if let Some(t) = Table::read(
        "stop_times.txt",
        files,
        &["trip_id", "stop_id", "stop_sequence"],
        true,
        "",
        &mut errs,
    ) {
        for r in t.rows() {
            let (Some(trip), Some(stop), Some(seq)) = (
                r.required("trip_id", &mut errs),
                r.required("stop_id", &mut errs),
                r.parsed("stop_sequence", &mut errs, |s| {
                    s.parse::<u32>()
                        .map_err(|_| format!("« {s} » n'est pas un entier positif."))
                }),
            ) else {
                continue;
            };
            if !trip_ids.contains(trip) {
                r.problem(
                    &mut errs,
                    "trip_id",
                    format!("la course « {trip} » n'existe pas dans trips.txt."),
                );
            }
            if !stop_ids.contains(stop) {
                r.problem(
                    &mut errs,
                    "stop_id",
                    format!("l'arrêt « {stop} » n'existe pas dans stops.txt."),
                );
            }
            // Times may be empty between timepoints; DKLIK needs them, so they are required.
            let arr = r.get("arrival_time");
            let dep = r.get("departure_time");
            let (a, d) = match (arr.is_empty(), dep.is_empty()) {
                (true, true) => {
                    r.problem(&mut errs, "arrival_time", "heure de passage manquante (les arrêts non horodatés ne sont pas encore pris en charge).");
                    continue;
                }
                (false, true) => (parse_time(arr), parse_time(arr)),
                (true, false) => (parse_time(dep), parse_time(dep)),
                (false, false) => (parse_time(arr), parse_time(dep)),
            };
            match (a, d) {
                (Ok(a), Ok(d)) if d >= a => feed.stop_times.push(StopTime {
                    trip_id: trip.into(),
                    stop_id: stop.into(),
                    sequence: seq,
                    arrival: a,
                    departure: d,
                }),
                (Ok(_), Ok(_)) => r.problem(
                    &mut errs,
                    "departure_time",
                    "le départ est avant l'arrivée.",
                ),
                (Err(m), _) => r.problem(&mut errs, "arrival_time", m),
                (_, Err(m)) => r.problem(&mut errs, "departure_time", m),
            }
            if errs.0.len() >= MAX_PROBLEMS {
                return Err(errs);
            }
        }
        feed.stop_times
            .sort_by(|a, b| a.trip_id.cmp(&b.trip_id).then(a.sequence.cmp(&b.sequence)));
        // Times must not go back along a trip.
        for w in feed.stop_times.windows(2) {
            if w[0].trip_id == w[1].trip_id && w[1].arrival < w[0].departure {
                errs.push(
                    "stop_times.txt",
                    "arrival_time",
                    format!(
                        "course « {} » : l'heure recule après l'arrêt n° {}.",
                        w[1].trip_id, w[0].sequence
                    ),
                );
                if errs.0.len() >= MAX_PROBLEMS {
                    break;
                }
            }
        }
    }
    errs.or_ok(feed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> HashMap<String, Vec<u8>> {
        let mut m = HashMap::new();
        m.insert(
            "agency.txt".into(),
            b"agency_id,agency_name,agency_url,agency_timezone\r\nA,Bus,http://x,Europe/Paris\r\n"
                .to_vec(),
        );
        m.insert(
            "routes.txt".into(),
            b"route_id,agency_id,route_short_name,route_long_name,route_type\nR1,A,1,Port,3\n"
                .to_vec(),
        );
        m.insert("stops.txt".into(), "\u{feff}stop_id,stop_name,stop_lat,stop_lon\nS1,Gare,51.03,2.37\nS2,\"Port, quai\",51.04,2.30".as_bytes().to_vec());
        m.insert(
            "trips.txt".into(),
            b"route_id,service_id,trip_id,extra\nR1,WK,T1,zz\n".to_vec(),
        );
        m.insert("stop_times.txt".into(), b"trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,23:50:00,23:50:00,S1,1\nT1,24:10:00,24:11:00,S2,2\n".to_vec());
        m.insert("calendar.txt".into(), b"service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nWK,1,1,1,1,1,0,0,20260101,20271231\n".to_vec());
        m
    }

    #[test]
    fn reads_crlf_bom_quotes_and_times_past_midnight() {
        let f = parse(&tiny()).unwrap();
        assert_eq!(f.stops[1].name, "Port, quai");
        assert_eq!(f.stop_times[1].arrival, 24 * 3600 + 600);
        assert_eq!(
            f.calendars[0].days,
            [true, true, true, true, true, false, false]
        );
    }

    #[test]
    fn lists_every_bad_row() {
        let mut m = tiny();
        m.insert("stop_times.txt".into(), b"trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT9,23:50:00,23:50:00,S1,1\nT1,2x:10:00,24:11:00,S7,2\n".to_vec());
        m.insert(
            "stops.txt".into(),
            b"stop_id,stop_name,stop_lat,stop_lon\nS1,Gare,151.03,2.37\n".to_vec(),
        );
        let e = parse(&m).unwrap_err().to_string();
        assert!(e.contains("stops.txt, ligne 2, champ « stop_lat »"), "{e}");
        assert!(
            e.contains("stop_times.txt, ligne 2, champ « trip_id »"),
            "{e}"
        );
        assert!(
            e.contains("stop_times.txt, ligne 3, champ « stop_id »"),
            "{e}"
        );
        assert!(
            e.contains("stop_times.txt, ligne 3, champ « arrival_time »"),
            "{e}"
        );
    }

    #[test]
    fn missing_files_are_named() {
        let mut m = tiny();
        m.remove("trips.txt");
        m.remove("calendar.txt");
        let e = parse(&m).unwrap_err().to_string();
        assert!(
            e.contains("trips.txt") && e.contains("calendar_dates.txt"),
            "{e}"
        );
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(parse_time("6:00:00"), Ok(21_600));
        assert_eq!(parse_time("25:01:02"), Ok(90_062));
        assert!(parse_time("6:60:00").is_err());
        assert!(parse_time("600").is_err());
        assert_eq!(parse_date("20261129"), Ok(20_261_129));
        assert!(parse_date("20261329").is_err());
        assert!(parse_date("2026-11-29").is_err());
    }
}
