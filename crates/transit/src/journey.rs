//! Journeys by public transport on one service day: RAPTOR (Delling, Pajor, Werneck), exact for
//! the earliest arrival with at most a given number of rides, walking at both ends and between
//! nearby stops. "Arrive before T" searches the latest departure that still arrives in time.
//!
//! A [`Timetable`] holds the trips running on a day, including those of the evening before that
//! run past midnight (GTFS times over 24:00:00), with times in seconds after that day's midnight.
//! [`connection_scan`] is a second, simpler exact algorithm used as the reference in tests.

use crate::gtfs::Feed;
use std::collections::HashMap;

/// How people walk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkParams {
    /// Metres per second (1.2 m/s is about 4.3 km/h).
    pub speed_mps: f64,
    /// The longest walk, at either end or between two stops.
    pub max_m: f64,
}

impl Default for WalkParams {
    fn default() -> Self {
        Self {
            speed_mps: 1.2,
            max_m: 800.0,
        }
    }
}

/// Distance in metres (equirectangular: exact enough within a city).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = ((a.0 + b.0) / 2.0).to_radians().cos();
    let dy = (a.0 - b.0) * 111_195.0;
    let dx = (a.1 - b.1) * 111_195.0 * k;
    (dx * dx + dy * dy).sqrt()
}

/// A stop as journeys know it.
#[derive(Debug, Clone, PartialEq)]
pub struct StopInfo {
    /// `stop_id`.
    pub id: String,
    /// Its name, for the journey spelled out.
    pub name: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

#[derive(Debug, Clone)]
struct TripTimes {
    trip_id: String,
    arr: Vec<u32>,
    dep: Vec<u32>,
}

/// Trips with the same stops in the same order that never overtake each other.
#[derive(Debug, Clone)]
struct Pattern {
    route: String,
    stops: Vec<u32>,
    trips: Vec<TripTimes>,
}

/// One part of a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leg {
    /// On foot.
    Walk {
        /// Stop index, or None for the journey's origin / destination.
        from: Option<u32>,
        /// Stop index, or None for the journey's origin / destination.
        to: Option<u32>,
        /// Walking time.
        seconds: u32,
    },
    /// On a bus.
    Ride {
        /// The line's short name.
        route: String,
        /// The trip taken.
        trip_id: String,
        /// Stop index where one gets on.
        from: u32,
        /// Stop index where one gets off.
        to: u32,
        /// Departure, seconds after midnight of the day.
        depart: u32,
        /// Arrival, seconds after midnight of the day.
        arrive: u32,
    },
}

/// A journey: when to leave, when one arrives, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    /// Leaving the origin, seconds after midnight.
    pub depart: u32,
    /// Reaching the destination, seconds after midnight.
    pub arrive: u32,
    /// Walks and rides, in order.
    pub legs: Vec<Leg>,
}

impl Journey {
    /// How many buses it takes.
    pub fn rides(&self) -> usize {
        self.legs
            .iter()
            .filter(|l| matches!(l, Leg::Ride { .. }))
            .count()
    }
}

/// The trips of one day, ready for queries.
pub struct Timetable {
    /// Every stop of the feed, by index.
    pub stops: Vec<StopInfo>,
    patterns: Vec<Pattern>,
    /// Per stop: (pattern, position in it).
    stop_patterns: Vec<Vec<(u32, u32)>>,
    /// Per stop: (other stop, walking seconds), within the walking limit.
    footpaths: Vec<Vec<(u32, u32)>>,
    /// Walking speed and limits.
    pub walk: WalkParams,
    route_names: HashMap<String, String>,
}

/// Whether a service runs on a day (YYYYMMDD, weekday 0 = Monday).
pub fn service_runs(feed: &Feed, service: &str, day: u32, weekday: usize) -> bool {
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

/// The day before, as YYYYMMDD, and its weekday.
fn previous_day(day: u32, weekday: usize) -> (u32, usize) {
    let (y, m, d) = (day / 10_000, (day / 100) % 100, day % 100);
    let date = time::Date::from_calendar_date(
        y as i32,
        time::Month::try_from(m as u8).unwrap_or(time::Month::January),
        d as u8,
    )
    .ok()
    .and_then(|x| x.previous_day());
    match date {
        Some(p) => (
            p.year() as u32 * 10_000 + u32::from(u8::from(p.month())) * 100 + u32::from(p.day()),
            (weekday + 6) % 7,
        ),
        None => (day, weekday),
    }
}

impl Timetable {
    /// Trips running on `day` (YYYYMMDD; `weekday` 0 = Monday), and those of the day before
    /// still running after midnight.
    pub fn for_day(feed: &Feed, day: u32, weekday: usize, walk: WalkParams) -> Self {
        let stops: Vec<StopInfo> = feed
            .stops
            .iter()
            .filter(|s| s.location_type == 0)
            .map(|s| StopInfo {
                id: s.id.clone(),
                name: s.name.clone(),
                lat: s.lat,
                lon: s.lon,
            })
            .collect();
        let index: HashMap<&str, u32> = stops
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i as u32))
            .collect();
        let mut by_trip: HashMap<&str, Vec<&crate::gtfs::StopTime>> = HashMap::new();
        for st in &feed.stop_times {
            by_trip.entry(st.trip_id.as_str()).or_default().push(st);
        }
        let (yesterday, yweekday) = previous_day(day, weekday);
        // (route, stop sequence) → trips
        let mut groups: HashMap<(String, Vec<u32>), Vec<TripTimes>> = HashMap::new();
        for t in &feed.trips {
            let Some(sts) = by_trip.get(t.id.as_str()) else {
                continue;
            };
            let mut sts = sts.clone();
            sts.sort_by_key(|s| s.sequence);
            let seq: Option<Vec<u32>> = sts
                .iter()
                .map(|s| index.get(s.stop_id.as_str()).copied())
                .collect();
            let Some(seq) = seq else { continue };
            if seq.len() < 2 {
                continue;
            }
            for (offset, runs) in [
                (0i64, service_runs(feed, &t.service_id, day, weekday)),
                (
                    -86_400,
                    service_runs(feed, &t.service_id, yesterday, yweekday),
                ),
            ] {
                if !runs {
                    continue;
                }
                let arr: Vec<i64> = sts.iter().map(|s| i64::from(s.arrival) + offset).collect();
                let dep: Vec<i64> = sts
                    .iter()
                    .map(|s| i64::from(s.departure) + offset)
                    .collect();
                // Yesterday's trips matter only when they still run after midnight.
                if dep.iter().all(|d| *d < 0) {
                    continue;
                }
                let clamp = |v: &[i64]| v.iter().map(|x| (*x).max(0) as u32).collect::<Vec<u32>>();
                let (arr, dep) = if offset < 0 {
                    // Stops passed before midnight cannot be boarded today: mark them unusable.
                    let arr2: Vec<u32> = arr
                        .iter()
                        .map(|x| if *x < 0 { u32::MAX } else { *x as u32 })
                        .collect();
                    let dep2: Vec<u32> = dep
                        .iter()
                        .map(|x| if *x < 0 { u32::MAX } else { *x as u32 })
                        .collect();
                    (arr2, dep2)
                } else {
                    (clamp(&arr), clamp(&dep))
                };
                groups
                    .entry((t.route_id.clone(), seq.clone()))
                    .or_default()
                    .push(TripTimes {
                        trip_id: t.id.clone(),
                        arr,
                        dep,
                    });
            }
        }
        let mut patterns = Vec::new();
        let mut keys: Vec<(String, Vec<u32>)> = groups.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let mut trips = groups.remove(&key).unwrap_or_default();
            trips.sort_by_key(|t| t.dep.iter().copied().min().unwrap_or(u32::MAX));
            // Split so that no trip overtakes another within a pattern.
            let mut subs: Vec<Vec<TripTimes>> = Vec::new();
            for t in trips {
                let fits = |s: &Vec<TripTimes>| {
                    s.last().is_none_or(|last| {
                        last.dep.iter().zip(&t.dep).all(|(a, b)| a <= b)
                            && last.arr.iter().zip(&t.arr).all(|(a, b)| a <= b)
                    })
                };
                match subs.iter_mut().find(|s| fits(s)) {
                    Some(s) => s.push(t),
                    None => subs.push(vec![t]),
                }
            }
            for trips in subs {
                patterns.push(Pattern {
                    route: key.0.clone(),
                    stops: key.1.clone(),
                    trips,
                });
            }
        }
        let mut stop_patterns = vec![Vec::new(); stops.len()];
        for (p, pat) in patterns.iter().enumerate() {
            for (i, s) in pat.stops.iter().enumerate() {
                stop_patterns[*s as usize].push((p as u32, i as u32));
            }
        }
        let mut footpaths = vec![Vec::new(); stops.len()];
        for (i, a) in stops.iter().enumerate() {
            for (j, b) in stops.iter().enumerate() {
                if i == j {
                    continue;
                }
                let d = distance_m((a.lat, a.lon), (b.lat, b.lon));
                if d <= walk.max_m {
                    footpaths[i].push((j as u32, (d / walk.speed_mps).ceil() as u32));
                }
            }
        }
        let route_names = feed
            .routes
            .iter()
            .map(|r| {
                let name = if r.short_name.is_empty() {
                    r.long_name.clone()
                } else {
                    r.short_name.clone()
                };
                (r.id.clone(), name)
            })
            .collect();
        Self {
            stops,
            patterns,
            stop_patterns,
            footpaths,
            walk,
            route_names,
        }
    }

    /// The public name of a route ("C1").
    pub fn route_name(&self, route: &str) -> String {
        self.route_names
            .get(route)
            .cloned()
            .unwrap_or_else(|| route.to_string())
    }

    /// The public names of the lines that stop at a stop this day, sorted.
    pub fn lines_at(&self, stop: u32) -> Vec<String> {
        let mut lines: Vec<String> = self
            .stop_patterns
            .get(stop as usize)
            .into_iter()
            .flatten()
            .map(|(p, _)| &self.patterns[*p as usize])
            .filter(|p| !p.trips.is_empty())
            .map(|p| self.route_name(&p.route))
            .collect();
        lines.sort();
        lines.dedup();
        lines
    }

    /// Whether any trip runs that day.
    pub fn has_service(&self) -> bool {
        self.patterns.iter().any(|p| !p.trips.is_empty())
    }

    fn walk_s(&self, meters: f64) -> u32 {
        (meters / self.walk.speed_mps).ceil() as u32
    }

    /// Stops within walking distance of a point, with the walking time.
    pub fn stops_near(&self, p: (f64, f64)) -> Vec<(u32, u32)> {
        self.stops
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let d = distance_m(p, (s.lat, s.lon));
                (d <= self.walk.max_m).then(|| (i as u32, self.walk_s(d)))
            })
            .collect()
    }

    /// The earliest arrival at `to` leaving `from` at `depart` (seconds after midnight), with
    /// at most `max_rides` rides.
    pub fn earliest_arrival(
        &self,
        from: (f64, f64),
        to: (f64, f64),
        depart: u32,
        max_rides: usize,
    ) -> Option<Journey> {
        let origin = self.stops_near(from);
        let target = self.stops_near(to);
        let direct = {
            let d = distance_m(from, to);
            (d <= self.walk.max_m).then(|| self.walk_s(d))
        };
        self.raptor(&origin, &target, direct, depart, max_rides)
    }

    fn raptor(
        &self,
        origin: &[(u32, u32)],
        target: &[(u32, u32)],
        direct: Option<u32>,
        depart: u32,
        max_rides: usize,
    ) -> Option<Journey> {
        const INF: u32 = u32::MAX;
        let n = self.stops.len();
        /// How the best arrival of a round at a stop was made.
        #[derive(Clone, Copy)]
        enum Via {
            /// Not improved in this round: as in the round before.
            Copied,
            Origin(u32),
            Ride,
            Walk {
                from: u32,
                seconds: u32,
            },
        }
        // Per round: the earliest arrival at each stop (any way), how, and the earliest by a
        // ride alone (a walk may follow a ride, never another walk).
        let mut tau: Vec<Vec<u32>> = vec![vec![INF; n]];
        let mut via: Vec<Vec<Via>> = vec![vec![Via::Copied; n]];
        // (pattern, trip, boarded at, alighted at)
        type RideVia = Option<(u32, u32, u32, u32)>;
        let mut ride: Vec<Vec<RideVia>> = vec![vec![None; n]];
        let mut best = vec![INF; n];
        let mut best_ride = vec![INF; n];
        let mut marked = vec![false; n];
        for &(s, w) in origin {
            let t = depart.saturating_add(w);
            if t < tau[0][s as usize] {
                tau[0][s as usize] = t;
                best[s as usize] = t;
                via[0][s as usize] = Via::Origin(w);
                marked[s as usize] = true;
            }
        }
        // (arrival, round, stop, by a walk from this stop with these seconds)
        type TargetVia = Option<(usize, u32, Option<(u32, u32)>)>;
        let mut best_target: (u32, TargetVia) = match direct {
            Some(w) => (depart.saturating_add(w), None),
            None => (INF, None),
        };
        for k in 1..=max_rides {
            let mut queue: HashMap<u32, u32> = HashMap::new();
            for (s, m) in marked.iter_mut().enumerate() {
                if !*m {
                    continue;
                }
                *m = false;
                for &(p, pos) in &self.stop_patterns[s] {
                    let e = queue.entry(p).or_insert(pos);
                    *e = (*e).min(pos);
                }
            }
            if queue.is_empty() {
                break;
            }
            tau.push(tau[k - 1].clone());
            via.push(vec![Via::Copied; n]);
            ride.push(vec![None; n]);
            let mut rode_here = vec![INF; n];
            let mut qs: Vec<(u32, u32)> = queue.into_iter().collect();
            qs.sort();
            for (p, start) in qs {
                let pat = &self.patterns[p as usize];
                let mut cur: Option<(u32, u32)> = None; // (trip, boarded at position)
                for i in start as usize..pat.stops.len() {
                    let s = pat.stops[i] as usize;
                    if let Some((t, b)) = cur {
                        let arr = pat.trips[t as usize].arr[i];
                        if arr != INF && arr < best_ride[s].min(best_target.0) {
                            best_ride[s] = arr;
                            rode_here[s] = arr;
                            ride[k][s] = Some((p, t, b, i as u32));
                            if arr < tau[k][s] {
                                tau[k][s] = arr;
                                via[k][s] = Via::Ride;
                            }
                            best[s] = best[s].min(arr);
                        }
                    }
                    let ready = tau[k - 1][s];
                    if ready == INF {
                        continue;
                    }
                    let current_dep = cur
                        .map(|(t, _)| pat.trips[t as usize].dep[i])
                        .unwrap_or(INF);
                    if ready <= current_dep {
                        // The earliest trip catchable here.
                        if let Some(t) = pat
                            .trips
                            .iter()
                            .position(|tr| tr.dep[i] != INF && tr.dep[i] >= ready)
                        {
                            if cur.is_none_or(|(c, _)| {
                                (t as u32) < c || pat.trips[t].dep[i] < current_dep
                            }) {
                                cur = Some((t as u32, i as u32));
                            }
                        }
                    }
                }
            }
            // The target from stops reached by a ride in this round, on foot or not.
            for &(s, w) in target {
                let t = rode_here[s as usize];
                if t != INF && t.saturating_add(w) < best_target.0 {
                    best_target = (t + w, Some((k, s, None)));
                }
            }
            // Walking from the stops reached by a ride in this round.
            let rode: Vec<usize> = (0..n).filter(|s| rode_here[*s] != INF).collect();
            for &s in &rode {
                marked[s] = true;
            }
            for s in rode {
                let t0 = rode_here[s];
                for &(s2, w) in &self.footpaths[s] {
                    let t = t0.saturating_add(w);
                    let s2u = s2 as usize;
                    for &(ts, tw) in target.iter().filter(|(x, _)| *x == s2) {
                        if t.saturating_add(tw) < best_target.0 {
                            best_target = (t + tw, Some((k, ts, Some((s as u32, w)))));
                        }
                    }
                    if t < best[s2u].min(best_target.0) && t < tau[k][s2u] {
                        tau[k][s2u] = t;
                        best[s2u] = t;
                        via[k][s2u] = Via::Walk {
                            from: s as u32,
                            seconds: w,
                        };
                        marked[s2u] = true;
                    }
                }
            }
        }
        let (arrive, end) = best_target;
        if arrive == INF {
            return None;
        }
        let Some((k, s, walk_in)) = end else {
            // Walking all the way.
            return Some(Journey {
                depart,
                arrive,
                legs: vec![Leg::Walk {
                    from: None,
                    to: None,
                    seconds: arrive - depart,
                }],
            });
        };
        let mut legs = Vec::new();
        let w_end = target
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, w)| *w)
            .unwrap_or(0);
        if w_end > 0 {
            legs.push(Leg::Walk {
                from: Some(s),
                to: None,
                seconds: w_end,
            });
        }
        let ride_leg = |k: usize, s: usize| -> Option<(Leg, usize)> {
            let (p, t, b, i) = ride[k][s]?;
            let pat = &self.patterns[p as usize];
            let tr = &pat.trips[t as usize];
            Some((
                Leg::Ride {
                    route: pat.route.clone(),
                    trip_id: tr.trip_id.clone(),
                    from: pat.stops[b as usize],
                    to: pat.stops[i as usize],
                    depart: tr.dep[b as usize],
                    arrive: tr.arr[i as usize],
                },
                pat.stops[b as usize] as usize,
            ))
        };
        // The last ride (and the walk after it, if any) of round k.
        let (mut k, mut s) = (k, s as usize);
        if let Some((from, seconds)) = walk_in {
            legs.push(Leg::Walk {
                from: Some(from),
                to: Some(s as u32),
                seconds,
            });
            s = from as usize;
        }
        let (leg, board) = ride_leg(k, s)?;
        legs.push(leg);
        s = board;
        k -= 1;
        // Then how each boarding stop was reached, round by round.
        loop {
            match via[k][s] {
                Via::Copied => {
                    if k == 0 {
                        break;
                    }
                    k -= 1;
                }
                Via::Origin(w) => {
                    if w > 0 {
                        legs.push(Leg::Walk {
                            from: None,
                            to: Some(s as u32),
                            seconds: w,
                        });
                    }
                    break;
                }
                Via::Walk { from, seconds } => {
                    legs.push(Leg::Walk {
                        from: Some(from),
                        to: Some(s as u32),
                        seconds,
                    });
                    let Some((leg, board)) = ride_leg(k, from as usize) else {
                        break;
                    };
                    legs.push(leg);
                    s = board;
                    k -= 1;
                }
                Via::Ride => {
                    let Some((leg, board)) = ride_leg(k, s) else {
                        break;
                    };
                    legs.push(leg);
                    s = board;
                    k -= 1;
                }
            }
        }
        legs.reverse();
        // Leave as late as the first ride allows.
        let depart = match legs.iter().find(|l| matches!(l, Leg::Ride { .. })) {
            Some(Leg::Ride { depart: d, .. }) => {
                let walk_before: u32 = legs
                    .iter()
                    .take_while(|l| matches!(l, Leg::Walk { .. }))
                    .map(|l| match l {
                        Leg::Walk { seconds, .. } => *seconds,
                        _ => 0,
                    })
                    .sum();
                d.saturating_sub(walk_before).max(depart)
            }
            _ => depart,
        };
        Some(Journey {
            depart,
            arrive,
            legs,
        })
    }

    /// The latest departure within `window` seconds before `deadline` that still arrives by
    /// `deadline`; None when no journey does.
    pub fn arrive_by(
        &self,
        from: (f64, f64),
        to: (f64, f64),
        deadline: u32,
        window: u32,
        max_rides: usize,
    ) -> Option<Journey> {
        let origin = self.stops_near(from);
        let target = self.stops_near(to);
        let direct = {
            let d = distance_m(from, to);
            (d <= self.walk.max_m).then(|| self.walk_s(d))
        };
        let earliest = deadline.saturating_sub(window);
        let first = self.raptor(&origin, &target, direct, earliest, max_rides)?;
        if first.arrive > deadline {
            return None;
        }
        // Arrival never decreases with departure: the latest good departure, by bisection (to
        // the minute), then its journey.
        let (mut lo, mut hi) = (first.depart.max(earliest), deadline);
        let mut best = first;
        while hi > lo + 60 {
            let mid = lo + (hi - lo) / 2;
            match self.raptor(&origin, &target, direct, mid, max_rides) {
                Some(j) if j.arrive <= deadline => {
                    lo = j.depart.max(mid);
                    best = j;
                }
                _ => hi = mid,
            }
        }
        Some(best)
    }

    /// Every (departure stop, arrival stop, departure, arrival, trip) of the day.
    pub fn connections(&self) -> Vec<(u32, u32, u32, u32, usize)> {
        let mut out = Vec::new();
        let mut trip_no = 0usize;
        for pat in &self.patterns {
            for tr in &pat.trips {
                for i in 0..pat.stops.len() - 1 {
                    if tr.dep[i] != u32::MAX && tr.arr[i + 1] != u32::MAX {
                        out.push((
                            pat.stops[i],
                            pat.stops[i + 1],
                            tr.dep[i],
                            tr.arr[i + 1],
                            trip_no,
                        ));
                    }
                }
                trip_no += 1;
            }
        }
        out.sort_by_key(|c| (c.2, c.3));
        out
    }

    /// Walking times between stops (for the reference algorithm).
    pub fn footpaths_of(&self, s: u32) -> &[(u32, u32)] {
        &self.footpaths[s as usize]
    }
}

/// The earliest arrival by the Connection Scan Algorithm (Dibbelt et al.), with the same rules
/// as [`Timetable::earliest_arrival`] and no limit on rides: the reference for tests.
pub fn connection_scan(
    tt: &Timetable,
    from: (f64, f64),
    to: (f64, f64),
    depart: u32,
) -> Option<u32> {
    const INF: u32 = u32::MAX;
    let n = tt.stops.len();
    let mut arr = vec![INF; n];
    for (s, w) in tt.stops_near(from) {
        arr[s as usize] = arr[s as usize].min(depart + w);
    }
    let conns = tt.connections();
    let trips = conns.iter().map(|c| c.4).max().map(|m| m + 1).unwrap_or(0);
    let mut on_trip = vec![false; trips];
    // Arrivals by a ride, and by a ride then a walk: only they lead to the target, and a walk
    // follows a ride only (never another walk).
    let mut by_ride = vec![INF; n];
    let mut after_ride = vec![INF; n];
    for &(a, b, dep, t_arr, trip) in &conns {
        if dep < depart {
            continue;
        }
        if on_trip[trip] || arr[a as usize] <= dep {
            on_trip[trip] = true;
            if t_arr < by_ride[b as usize] {
                by_ride[b as usize] = t_arr;
                arr[b as usize] = arr[b as usize].min(t_arr);
                after_ride[b as usize] = after_ride[b as usize].min(t_arr);
                for &(s2, w) in tt.footpaths_of(b) {
                    let t = t_arr + w;
                    arr[s2 as usize] = arr[s2 as usize].min(t);
                    after_ride[s2 as usize] = after_ride[s2 as usize].min(t);
                }
            }
        }
    }
    let mut best = {
        let d = distance_m(from, to);
        if d <= tt.walk.max_m {
            depart + (d / tt.walk.speed_mps).ceil() as u32
        } else {
            INF
        }
    };
    for (s, w) in tt.stops_near(to) {
        if after_ride[s as usize] != INF {
            best = best.min(after_ride[s as usize] + w);
        }
    }
    (best != INF).then_some(best)
}

/// When a line runs on a day: the first departure and the last arrival of its trips (seconds
/// after the start of the service day; may pass 86,400), or `None` when it does not run. The
/// line is named by its `route_id` or its short name ("C4"); `None` means the whole network.
pub fn service_span(
    feed: &Feed,
    line: Option<&str>,
    day: u32,
    weekday: usize,
) -> Option<(u32, u32)> {
    let routes: std::collections::HashSet<&str> = feed
        .routes
        .iter()
        .filter(|r| line.is_none_or(|l| r.id == l || r.short_name.eq_ignore_ascii_case(l)))
        .map(|r| r.id.as_str())
        .collect();
    let trips: std::collections::HashSet<&str> = feed
        .trips
        .iter()
        .filter(|t| routes.contains(t.route_id.as_str()))
        .filter(|t| service_runs(feed, &t.service_id, day, weekday))
        .map(|t| t.id.as_str())
        .collect();
    let mut span: Option<(u32, u32)> = None;
    for st in feed
        .stop_times
        .iter()
        .filter(|s| trips.contains(s.trip_id.as_str()))
    {
        let (a, b) = span.unwrap_or((u32::MAX, 0));
        span = Some((
            a.min(st.departure.min(st.arrival)),
            b.max(st.arrival.max(st.departure)),
        ));
    }
    span
}
