//! Journeys: RAPTOR against the Connection Scan reference on generated networks and on the demo
//! feed; arrive-by, past-midnight services and days without service.

use dklik_transit::gtfs::{Calendar, Feed, Route, Stop, StopTime, Trip};
use dklik_transit::journey::{connection_scan, Leg, Timetable, WalkParams};
use proptest::prelude::*;

/// A route: its stops, and its trips as (first departure, times between stops).
type RouteSpec = (Vec<usize>, Vec<(u32, Vec<u32>)>);

/// A generated network: stops spread over ~6 km, routes through random stops, trips at random
/// times (some after midnight), every day.
fn network(stops: &[(f64, f64)], routes: &[RouteSpec]) -> Feed {
    let mut f = Feed::default();
    for (i, (x, y)) in stops.iter().enumerate() {
        f.stops.push(Stop {
            id: format!("S{i}"),
            code: String::new(),
            name: format!("Arrêt {i}"),
            lat: 51.0 + y / 111_195.0,
            lon: 2.3 + x / (111_195.0 * 51.0f64.to_radians().cos()),
            location_type: 0,
            parent_station: String::new(),
        });
    }
    f.calendars.push(Calendar {
        service_id: "tous".into(),
        days: [true; 7],
        start: 20260101,
        end: 20271231,
    });
    for (r, (seq, trips)) in routes.iter().enumerate() {
        f.routes.push(Route {
            id: format!("R{r}"),
            agency_id: String::new(),
            short_name: format!("L{r}"),
            long_name: String::new(),
            route_type: 3,
            color: String::new(),
            text_color: String::new(),
        });
        for (t, (start, hops)) in trips.iter().enumerate() {
            let id = format!("R{r}T{t}");
            f.trips.push(Trip {
                id: id.clone(),
                route_id: format!("R{r}"),
                service_id: "tous".into(),
                shape_id: String::new(),
                headsign: String::new(),
                direction_id: 0,
            });
            let mut time = *start;
            for (k, s) in seq.iter().enumerate() {
                if k > 0 {
                    time += hops[(k - 1) % hops.len()];
                }
                f.stop_times.push(StopTime {
                    trip_id: id.clone(),
                    stop_id: format!("S{s}"),
                    sequence: k as u32,
                    arrival: time,
                    departure: time + 30,
                });
                time += 30;
            }
        }
    }
    f
}

fn point(x: f64, y: f64) -> (f64, f64) {
    (
        51.0 + y / 111_195.0,
        2.3 + x / (111_195.0 * 51.0f64.to_radians().cos()),
    )
}

fn arb_network() -> impl Strategy<Value = Feed> {
    let stops = prop::collection::vec((0.0f64..6000.0, 0.0f64..6000.0), 4..14);
    stops
        .prop_flat_map(|stops| {
            let n = stops.len();
            let route = (
                prop::collection::vec(0..n, 2..6),
                prop::collection::vec(
                    (
                        4 * 3600u32..26 * 3600,
                        prop::collection::vec(60u32..900, 1..4),
                    ),
                    1..5,
                ),
            );
            (Just(stops), prop::collection::vec(route, 1..6))
        })
        .prop_map(|(stops, routes)| {
            // A route does not pass the same stop twice in a row.
            let routes: Vec<RouteSpec> = routes
                .into_iter()
                .map(|(mut seq, trips)| {
                    seq.dedup();
                    (seq, trips)
                })
                .filter(|(seq, _)| seq.len() >= 2)
                .collect();
            network(&stops, &routes)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn raptor_finds_the_same_earliest_arrival_as_connection_scan(
        feed in arb_network(),
        from in (0.0f64..6000.0, 0.0f64..6000.0),
        to in (0.0f64..6000.0, 0.0f64..6000.0),
        depart in 3 * 3600u32..25 * 3600,
    ) {
        let tt = Timetable::for_day(&feed, 20261201, 1, WalkParams { speed_mps: 1.2, max_m: 700.0 });
        let (a, b) = (point(from.0, from.1), point(to.0, to.1));
        let raptor = tt.earliest_arrival(a, b, depart, 30).map(|j| j.arrive);
        let reference = connection_scan(&tt, a, b, depart);
        prop_assert_eq!(raptor, reference);
        if let Some(j) = tt.earliest_arrival(a, b, depart, 30) {
            // The journey holds together: legs in time order, from the origin to the target.
            let mut t = j.depart;
            for leg in &j.legs {
                match leg {
                    Leg::Walk { seconds, .. } => t += seconds,
                    Leg::Ride { depart, arrive, .. } => {
                        prop_assert!(*depart >= t, "boards after arriving at the stop");
                        t = *arrive;
                    }
                }
            }
            prop_assert!(t <= j.arrive);
        }
    }

    #[test]
    fn arrive_by_is_the_latest_departure_that_arrives_in_time(
        feed in arb_network(),
        from in (0.0f64..6000.0, 0.0f64..6000.0),
        to in (0.0f64..6000.0, 0.0f64..6000.0),
        deadline in 5 * 3600u32..24 * 3600,
    ) {
        let tt = Timetable::for_day(&feed, 20261201, 1, WalkParams { speed_mps: 1.2, max_m: 700.0 });
        let (a, b) = (point(from.0, from.1), point(to.0, to.1));
        match tt.arrive_by(a, b, deadline, 3600, 30) {
            Some(j) => {
                prop_assert!(j.arrive <= deadline);
                prop_assert!(j.depart + 3600 >= deadline, "within the window");
                // Leaving a minute later no longer arrives in time, unless the journey is on foot.
                if j.rides() > 0 && j.depart + 60 <= deadline {
                    let later = connection_scan(&tt, a, b, j.depart + 60);
                    prop_assert!(later.is_none_or(|t| t > deadline) || j.depart + 120 > deadline,
                        "a later departure {} still arrives by {}", j.depart + 60, deadline);
                }
            }
            None => {
                let t = connection_scan(&tt, a, b, deadline - 3600);
                prop_assert!(t.is_none_or(|t| t > deadline));
            }
        }
    }
}

fn demo_feed() -> Feed {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/gtfs/dunkerque-demo");
    dklik_transit::gtfs::read(&dir).expect("demo feed")
}

#[test]
fn on_the_demo_network_raptor_agrees_with_connection_scan() {
    let feed = demo_feed();
    // A Monday of working days.
    let tt = Timetable::for_day(&feed, 20261130, 0, WalkParams::default());
    assert!(tt.has_service());
    let places: Vec<(f64, f64)> = tt
        .stops
        .iter()
        .map(|s| (s.lat + 0.002, s.lon - 0.003))
        .collect();
    let mut journeys = 0;
    for (i, a) in places.iter().enumerate() {
        for (j, b) in places.iter().enumerate().skip(i + 1).step_by(3) {
            for depart in [4 * 3600 + 1800, 7 * 3600, 13 * 3600 + 600, 21 * 3600 + 1200] {
                let r = tt.earliest_arrival(*a, *b, depart, 30).map(|j| j.arrive);
                assert_eq!(
                    r,
                    connection_scan(&tt, *a, *b, depart),
                    "{i} → {j} at {depart}"
                );
                journeys += usize::from(r.is_some());
            }
        }
    }
    assert!(journeys > 100, "{journeys}");
}

#[test]
fn an_early_shift_from_grande_synthe_to_the_industrial_zone() {
    let feed = demo_feed();
    let tt = Timetable::for_day(&feed, 20261130, 0, WalkParams::default());
    let stop = |name: &str| {
        let s = tt.stops.iter().find(|s| s.name == name).expect(name);
        (s.lat, s.lon)
    };
    // Be at Mardyck Usine by 6:00, from Grande-Synthe Europe.
    let j = tt
        .arrive_by(
            stop("Grande-Synthe Europe"),
            stop("Mardyck Usine"),
            6 * 3600,
            3600,
            4,
        )
        .expect("a bus before 6:00");
    assert!(j.arrive <= 6 * 3600 && j.rides() >= 1, "{j:?}");
    let first = j.legs.iter().find_map(|l| match l {
        Leg::Ride { route, .. } => Some(tt.route_name(route)),
        _ => None,
    });
    assert!(first.is_some());
    // At 3:00 nothing runs yet.
    assert!(tt
        .arrive_by(
            stop("Grande-Synthe Europe"),
            stop("Mardyck Usine"),
            3 * 3600,
            1800,
            4
        )
        .is_none());
}

#[test]
fn trips_after_midnight_count_the_next_morning_and_a_day_without_service_has_none() {
    let mut feed = network(
        &[(0.0, 0.0), (3000.0, 0.0)],
        &[(vec![0, 1], vec![(24 * 3600 + 1200, vec![600])])],
    );
    let tt = Timetable::for_day(&feed, 20261202, 2, WalkParams::default());
    // The trip leaves at "24:20" of the day before: 00:20 today.
    let j = tt
        .earliest_arrival(point(0.0, 0.0), point(3000.0, 0.0), 0, 4)
        .expect("journey");
    assert_eq!(j.arrive, 1200 + 30 + 600);
    // No service at all (a calendar that ended): nothing.
    feed.calendars[0].end = 20250101;
    let none = Timetable::for_day(&feed, 20261202, 2, WalkParams::default());
    assert!(!none.has_service());
    assert!(none
        .earliest_arrival(point(0.0, 0.0), point(3000.0, 0.0), 0, 4)
        .is_none());
}
