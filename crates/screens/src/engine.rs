//! The engine itself. See the crate documentation for what it decides.

use crate::geo::{dist, dist_to_segment, FxMap, Grid, Projection, Xy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A bus stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopPoint {
    /// Its id in the GTFS feed.
    pub id: String,
    /// Its name, as printed on the slide.
    pub name: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
}

/// A published offer at a hiring site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HiringOffer {
    /// The offer's id in the store.
    pub offer_id: i64,
    /// Its short code (what the QR and the short link carry).
    pub code: String,
    /// The job title.
    pub title: String,
    /// The employer's id (rotation goes between employers).
    pub employer_id: i64,
    /// The employer's name.
    pub employer: String,
    /// The site where the job is.
    pub site_id: i64,
    /// The site's latitude.
    pub lat: f64,
    /// The site's longitude.
    pub lon: f64,
}

/// A GPS fence around a site: entering it triggers the site's offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fence {
    /// The site fenced.
    pub site_id: i64,
    /// The fence's centre, latitude.
    pub lat: f64,
    /// The fence's centre, longitude.
    pub lon: f64,
    /// Its radius in metres.
    pub radius_m: f64,
}

/// A campaign: when, where and how strongly some offers are pushed. An offer under campaigns
/// is shown only while one of them runs; an offer under none is shown normally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// The offers pushed.
    pub offer_ids: Vec<i64>,
    /// Days as YYYYMMDD, inclusive.
    pub from_day: u32,
    /// Last day, YYYYMMDD, inclusive.
    pub to_day: u32,
    /// Minutes of the local day, [from, to).
    pub from_minute: u16,
    /// End of the daily window, minutes of the local day (excluded).
    pub to_minute: u16,
    /// Greater than 0; 2 means twice as likely to come first.
    pub weight: f64,
    /// Route ids; empty means every line.
    pub lines: Vec<String>,
}

/// How the engine decides: distances, caps and the checks on positions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Walking distance between a stop and a hiring site.
    pub walk_radius_m: f64,
    /// Offers shown at most at once (3).
    pub max_offers: usize,
    /// Minimum time between two showings of one offer on one vehicle.
    pub per_vehicle_interval_s: i64,
    /// Showings of one offer on one vehicle per day.
    pub per_vehicle_day_cap: u32,
    /// Showings of one offer on all vehicles per day.
    pub per_day_cap: u32,
    /// A position older than this is stale.
    pub stale_after_s: i64,
    /// A position this far in the future means a wrong clock.
    pub future_tolerance_s: i64,
    /// Faster than this between two positions is a jump (GPS error).
    pub max_speed_mps: f64,
    /// Farther than this from every stop is outside the network.
    pub network_margin_m: f64,
    /// A bus within this distance of a stop is nearing it.
    pub stop_approach_m: f64,
    /// Shown when no offer is near; one after the other.
    pub fallback: Vec<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            walk_radius_m: 500.0,
            max_offers: 3,
            per_vehicle_interval_s: 600,
            per_vehicle_day_cap: 8,
            per_day_cap: 400,
            stale_after_s: 120,
            future_tolerance_s: 60,
            max_speed_mps: 40.0,
            network_margin_m: 20_000.0,
            stop_approach_m: 400.0,
            fallback: vec![
                "Des entreprises recrutent près de chez vous. Découvrez les offres sur dklik.fr"
                    .into(),
            ],
        }
    }
}

/// A vehicle position, whatever format it came in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The vehicle's id in its feed.
    pub vehicle: String,
    /// The trip it runs, when the feed says.
    pub trip_id: Option<String>,
    /// The route (line), when the feed says.
    pub route_id: Option<String>,
    /// The stop it serves or nears, when the feed says.
    pub stop_id: Option<String>,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Unix seconds, as measured on the vehicle.
    pub timestamp: i64,
}

/// Local calendar facts the engine needs (the caller knows the time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// YYYYMMDD
    pub day: u32,
    /// Minutes since local midnight.
    pub minute: u16,
}

/// Why a position was refused. Refused positions are counted, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Latitude or longitude outside the globe.
    OutOfRange,
    /// Older than `stale_after_s`.
    Stale,
    /// Further in the future than `future_tolerance_s` (a wrong clock).
    Future,
    /// Older than the vehicle's last position.
    OutOfOrder,
    /// The vehicle's last position again.
    Duplicate,
    /// Farther from the last position than `max_speed_mps` allows (a GPS jump).
    ImpossibleJump,
    /// Farther than `network_margin_m` from every stop.
    OffNetwork,
}

/// What a screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Slide {
    /// An offer near the stop, with its QR.
    Offer {
        /// The offer's id in the store.
        offer_id: i64,
        /// Its short code.
        code: String,
        /// The job title.
        title: String,
        /// The employer's name.
        employer: String,
        /// The site where the job is.
        site_id: i64,
        /// Metres between the stop (or the vehicle) and the site.
        distance_m: u32,
    },
    /// A general message, when no offer is near.
    Fallback {
        /// What it says.
        text: String,
    },
}

/// A change of what a vehicle's screens show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// The vehicle whose screens change.
    pub vehicle: String,
    /// The trip it runs, if known.
    pub trip_id: Option<String>,
    /// The stop it nears, if any.
    pub stop_id: Option<String>,
    /// That stop's name (empty between stops).
    pub stop_name: String,
    /// What its screens show now.
    pub slides: Vec<Slide>,
    /// When, Unix seconds (the position's time).
    pub at: i64,
}

#[derive(Debug, Clone, Default)]
struct VehicleState {
    last: Option<(Xy, i64)>,
    stop: Option<u32>,
    /// Index in the trip's stop list of the stop last neared.
    trip_pos: usize,
    trip: Option<String>,
    inside_fences: Vec<u32>,
    fallback_turn: usize,
    /// A small number for this vehicle, so that per-vehicle counters need no string keys.
    idx: u32,
}

#[derive(Debug, Clone, Default)]
struct Shown {
    day: u32,
    count: u32,
    last_at: i64,
}

/// The trigger engine: stops, offers and settings in memory, and what each vehicle shows.
pub struct Engine {
    cfg: EngineConfig,
    proj: Projection,
    stops: Vec<StopPoint>,
    stop_xy: Vec<Xy>,
    stop_grid: Grid,
    /// The stops' bounding box (south-west, north-east), in plane metres.
    bbox: (Xy, Xy),
    stop_by_id: FxMap<String, u32>,
    trips: FxMap<String, Vec<u32>>,
    offers: Vec<HiringOffer>,
    /// Offers within walking distance of each stop, with the distance.
    near_stop: Vec<Vec<(u32, u32)>>,
    fences: Vec<Fence>,
    fence_xy: Vec<Xy>,
    fence_grid: Grid,
    max_fence_radius: f64,
    campaigns: Vec<Campaign>,
    vehicles: FxMap<String, VehicleState>,
    per_vehicle: FxMap<(u32, i64), Shown>,
    next_vehicle: u32,
    per_day: FxMap<i64, Shown>,
    employer_last: FxMap<(u32, i64), i64>,
    rejected: HashMap<Rejection, u64>,
    accepted: u64,
}

impl Engine {
    /// `trips` lists each trip's stop ids in order (from GTFS `stop_times`).
    pub fn new(
        stops: Vec<StopPoint>,
        trips: HashMap<String, Vec<String>>,
        offers: Vec<HiringOffer>,
        fences: Vec<Fence>,
        campaigns: Vec<Campaign>,
        cfg: EngineConfig,
    ) -> Self {
        let ref_lat = if stops.is_empty() {
            0.0
        } else {
            stops.iter().map(|s| s.lat).sum::<f64>() / stops.len() as f64
        };
        let proj = Projection::new(ref_lat);
        let stop_xy: Vec<Xy> = stops.iter().map(|s| proj.xy(s.lat, s.lon)).collect();
        let stop_grid = Grid::new(cfg.stop_approach_m.max(100.0), stop_xy.clone());
        let bbox = stop_xy.iter().fold(
            (
                Xy {
                    x: f64::MAX,
                    y: f64::MAX,
                },
                Xy {
                    x: f64::MIN,
                    y: f64::MIN,
                },
            ),
            |(lo, hi), p| {
                (
                    Xy {
                        x: lo.x.min(p.x),
                        y: lo.y.min(p.y),
                    },
                    Xy {
                        x: hi.x.max(p.x),
                        y: hi.y.max(p.y),
                    },
                )
            },
        );
        let stop_by_id: FxMap<String, u32> = stops
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i as u32))
            .collect();
        let trips = trips
            .into_iter()
            .map(|(t, ids)| {
                (
                    t,
                    ids.iter()
                        .filter_map(|id| stop_by_id.get(id).copied())
                        .collect(),
                )
            })
            .collect();
        let mut e = Self {
            cfg,
            proj,
            stops,
            stop_xy,
            stop_grid,
            bbox,
            stop_by_id,
            trips,
            offers: Vec::new(),
            near_stop: Vec::new(),
            fences: Vec::new(),
            fence_xy: Vec::new(),
            fence_grid: Grid::new(100.0, Vec::new()),
            max_fence_radius: 0.0,
            campaigns,
            vehicles: FxMap::default(),
            per_vehicle: FxMap::default(),
            next_vehicle: 0,
            per_day: FxMap::default(),
            employer_last: FxMap::default(),
            rejected: HashMap::new(),
            accepted: 0,
        };
        e.set_offers(offers);
        e.set_fences(fences);
        e
    }

    /// How it decides (the settings it was made with).
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Replaces the GPS fences. Vehicles inside a fence that is gone simply leave it.
    pub fn set_fences(&mut self, fences: Vec<Fence>) {
        if fences == self.fences {
            return;
        }
        self.fence_xy = fences.iter().map(|f| self.proj.xy(f.lat, f.lon)).collect();
        self.max_fence_radius = fences.iter().map(|f| f.radius_m).fold(0.0, f64::max);
        self.fence_grid = Grid::new(self.max_fence_radius.max(100.0), self.fence_xy.clone());
        for v in self.vehicles.values_mut() {
            v.inside_fences.clear();
        }
        self.fences = fences;
    }

    /// Replaces the messages shown when no offer is near (none: the screens keep their slide).
    pub fn set_fallback(&mut self, fallback: Vec<String>) {
        self.cfg.fallback = fallback;
    }

    /// Replaces the published offers (an offer closed or filled leaves at the next trigger).
    pub fn set_offers(&mut self, offers: Vec<HiringOffer>) {
        let xy: Vec<Xy> = offers.iter().map(|o| self.proj.xy(o.lat, o.lon)).collect();
        let grid = Grid::new(self.cfg.walk_radius_m.max(100.0), xy);
        self.near_stop = self
            .stop_xy
            .iter()
            .map(|s| {
                let mut v = Vec::new();
                grid.within(*s, self.cfg.walk_radius_m, |i, d| {
                    v.push((i, d.round() as u32))
                });
                v.sort();
                v
            })
            .collect();
        self.offers = offers;
    }

    /// Replaces the campaigns (the team's settings changed).
    pub fn set_campaigns(&mut self, campaigns: Vec<Campaign>) {
        self.campaigns = campaigns;
    }

    /// The network's stops, as loaded.
    pub fn stops(&self) -> &[StopPoint] {
        &self.stops
    }

    /// The offers within walking distance of a stop, nearest first (for the per-stop feed).
    pub fn offers_near_stop(&self, stop_id: &str) -> Vec<(&HiringOffer, u32)> {
        let Some(&i) = self.stop_by_id.get(stop_id) else {
            return Vec::new();
        };
        let mut v: Vec<(&HiringOffer, u32)> = self.near_stop[i as usize]
            .iter()
            .map(|&(o, d)| (&self.offers[o as usize], d))
            .collect();
        v.sort_by_key(|(o, d)| (*d, o.offer_id));
        v
    }

    /// Counts of refused positions, by reason, and of accepted ones.
    pub fn counters(&self) -> (u64, &HashMap<Rejection, u64>) {
        (self.accepted, &self.rejected)
    }

    fn reject(&mut self, r: Rejection) -> Result<Option<Trigger>, Rejection> {
        *self.rejected.entry(r).or_default() += 1;
        Err(r)
    }

    /// Takes one position. Returns the new slides when what the vehicle shows must change.
    pub fn update(
        &mut self,
        p: &Position,
        now: i64,
        local: LocalTime,
    ) -> Result<Option<Trigger>, Rejection> {
        if !p.lat.is_finite()
            || !p.lon.is_finite()
            || p.lat.abs() > 90.0
            || p.lon.abs() > 180.0
            || p.vehicle.is_empty()
            || p.vehicle.len() > 100
        {
            return self.reject(Rejection::OutOfRange);
        }
        if p.timestamp > now + self.cfg.future_tolerance_s {
            return self.reject(Rejection::Future);
        }
        if now - p.timestamp > self.cfg.stale_after_s {
            return self.reject(Rejection::Stale);
        }
        let xy = self.proj.xy(p.lat, p.lon);
        // Off the network: outside the stops' bounding box grown by the margin. (A search of
        // the grid over 20 km would cost thousands of cells per update.)
        let (lo, hi) = self.bbox;
        let m = self.cfg.network_margin_m;
        if xy.x < lo.x - m || xy.x > hi.x + m || xy.y < lo.y - m || xy.y > hi.y + m {
            return self.reject(Rejection::OffNetwork);
        }
        let prev = self.vehicles.get(&p.vehicle).and_then(|v| v.last);
        if let Some((last_xy, last_t)) = prev {
            if p.timestamp == last_t {
                return self.reject(Rejection::Duplicate);
            }
            if p.timestamp < last_t {
                return self.reject(Rejection::OutOfOrder);
            }
            let speed = dist(xy, last_xy) / (p.timestamp - last_t) as f64;
            if speed > self.cfg.max_speed_mps {
                return self.reject(Rejection::ImpossibleJump);
            }
        }
        self.accepted += 1;
        // Taken out and put back with its own key: no allocation per update.
        let (key, mut state) = self.vehicles.remove_entry(&p.vehicle).unwrap_or_else(|| {
            let idx = self.next_vehicle;
            self.next_vehicle += 1;
            (
                p.vehicle.clone(),
                VehicleState {
                    idx,
                    ..Default::default()
                },
            )
        });
        state.last = Some((xy, p.timestamp));
        if state.trip != p.trip_id {
            state.trip = p.trip_id.clone();
            state.trip_pos = 0;
        }
        // The stop being neared: given by the feed, or along the trip, or the nearest.
        let stop = match p.stop_id.as_ref().and_then(|s| self.stop_by_id.get(s)) {
            Some(&s) => Some(s),
            None => self.stop_along_trip(&mut state, xy).or_else(|| {
                self.stop_grid
                    .nearest(xy, self.cfg.stop_approach_m)
                    .map(|(i, _)| i)
            }),
        };
        // Fences entered between the previous position and this one.
        let mut entered = Vec::new();
        let mut inside = Vec::new();
        if !self.fences.is_empty() {
            let from = prev.map(|(x, _)| x).unwrap_or(xy);
            let reach = dist(from, xy) + self.max_fence_radius;
            self.fence_grid.within(xy, reach, |i, _| {
                let f = &self.fences[i as usize];
                let c = self.fence_xy[i as usize];
                let now_in = dist(c, xy) <= f.radius_m;
                let crossed = dist_to_segment(c, from, xy) <= f.radius_m;
                if now_in {
                    inside.push(i);
                }
                if (now_in || crossed) && !state.inside_fences.contains(&i) {
                    entered.push(i);
                }
            });
        }
        state.inside_fences = inside;
        let stop_changed = stop.is_some() && stop != state.stop;
        if stop_changed {
            state.stop = stop;
        }
        if !stop_changed && entered.is_empty() {
            self.vehicles.insert(key, state);
            return Ok(None);
        }
        // Candidates: offers near the stop, then offers of the sites whose fence was entered.
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        if let Some(s) = state.stop.filter(|_| stop_changed) {
            candidates.extend(self.near_stop[s as usize].iter().copied());
        }
        for fi in &entered {
            let site = self.fences[*fi as usize].site_id;
            for (i, o) in self.offers.iter().enumerate() {
                if o.site_id == site && !candidates.iter().any(|(c, _)| *c == i as u32) {
                    let d = dist(self.proj.xy(o.lat, o.lon), xy).round() as u32;
                    candidates.push((i as u32, d));
                }
            }
        }
        let slides = self.select(
            state.idx,
            p.route_id.as_deref(),
            &candidates,
            p.timestamp,
            local,
            &mut state,
        );
        let (stop_id, stop_name) = match state.stop {
            Some(s) => (
                Some(self.stops[s as usize].id.clone()),
                self.stops[s as usize].name.clone(),
            ),
            None => (None, String::new()),
        };
        self.vehicles.insert(key, state);
        Ok(Some(Trigger {
            vehicle: p.vehicle.clone(),
            trip_id: p.trip_id.clone(),
            stop_id,
            stop_name,
            slides,
            at: p.timestamp,
        }))
    }

    /// The next stop of the vehicle's trip within approach distance, never going back.
    fn stop_along_trip(&self, state: &mut VehicleState, xy: Xy) -> Option<u32> {
        let trip = self.trips.get(state.trip.as_ref()?)?;
        let mut best: Option<(usize, f64)> = None;
        for (k, &s) in trip.iter().enumerate().skip(state.trip_pos) {
            let d = dist(self.stop_xy[s as usize], xy);
            if d <= self.cfg.stop_approach_m && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((k, d));
            }
        }
        let (k, _) = best?;
        state.trip_pos = k;
        Some(trip[k])
    }

    /// The weight of an offer now, or None when campaigns keep it off screen.
    fn weight(&self, offer_id: i64, route: Option<&str>, local: LocalTime) -> Option<f64> {
        let mut governed = false;
        let mut best: Option<f64> = None;
        for c in &self.campaigns {
            if !c.offer_ids.contains(&offer_id) {
                continue;
            }
            governed = true;
            let runs = (c.from_day..=c.to_day).contains(&local.day)
                && (c.from_minute..c.to_minute).contains(&local.minute)
                && (c.lines.is_empty() || route.is_some_and(|r| c.lines.iter().any(|l| l == r)));
            if runs {
                best = Some(best.map_or(c.weight, |b: f64| b.max(c.weight)));
            }
        }
        if governed {
            best
        } else {
            Some(1.0)
        }
    }

    fn select(
        &mut self,
        vehicle: u32,
        route: Option<&str>,
        candidates: &[(u32, u32)],
        at: i64,
        local: LocalTime,
        state: &mut VehicleState,
    ) -> Vec<Slide> {
        let mut scored: Vec<(i64, f64, u32, u32)> = Vec::new();
        for &(i, d) in candidates {
            let o = &self.offers[i as usize];
            let Some(w) = self.weight(o.offer_id, route, local) else {
                continue;
            };
            let pv = self.per_vehicle.get(&(vehicle, o.offer_id));
            let shown_today = pv.filter(|s| s.day == local.day).map_or(0, |s| s.count);
            if shown_today >= self.cfg.per_vehicle_day_cap {
                continue;
            }
            if pv.is_some_and(|s| at - s.last_at < self.cfg.per_vehicle_interval_s) {
                continue;
            }
            if self
                .per_day
                .get(&o.offer_id)
                .is_some_and(|s| s.day == local.day && s.count >= self.cfg.per_day_cap)
            {
                continue;
            }
            let last_employer = self
                .employer_last
                .get(&(vehicle, o.employer_id))
                .copied()
                .unwrap_or(i64::MIN);
            scored.push((last_employer, w / (1.0 + f64::from(shown_today)), i, d));
        }
        // Rotation: the employer shown longest ago on this vehicle first, then weight, then id.
        scored.sort_by(|a, b| {
            a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(
                self.offers[a.2 as usize]
                    .offer_id
                    .cmp(&self.offers[b.2 as usize].offer_id),
            )
        });
        let mut picked: Vec<(u32, u32)> = Vec::new();
        // One offer per employer first, then seconds if room is left.
        for round in 0..2 {
            for &(_, _, i, d) in &scored {
                if picked.len() >= self.cfg.max_offers {
                    break;
                }
                let emp = self.offers[i as usize].employer_id;
                let already = picked.iter().any(|(p, _)| *p == i);
                let same_emp = picked
                    .iter()
                    .any(|(p, _)| self.offers[*p as usize].employer_id == emp);
                if !already && (round == 1 || !same_emp) {
                    picked.push((i, d));
                }
            }
        }
        if picked.is_empty() {
            if self.cfg.fallback.is_empty() {
                return Vec::new();
            }
            let text = self.cfg.fallback[state.fallback_turn % self.cfg.fallback.len()].clone();
            state.fallback_turn += 1;
            return vec![Slide::Fallback { text }];
        }
        let mut slides = Vec::new();
        for (i, d) in picked {
            let o = self.offers[i as usize].clone();
            let pv = self.per_vehicle.entry((vehicle, o.offer_id)).or_default();
            if pv.day != local.day {
                *pv = Shown {
                    day: local.day,
                    ..Default::default()
                };
            }
            pv.count += 1;
            pv.last_at = at;
            let pd = self.per_day.entry(o.offer_id).or_default();
            if pd.day != local.day {
                *pd = Shown {
                    day: local.day,
                    ..Default::default()
                };
            }
            pd.count += 1;
            self.employer_last.insert((vehicle, o.employer_id), at);
            slides.push(Slide::Offer {
                offer_id: o.offer_id,
                code: o.code,
                title: o.title,
                employer: o.employer,
                site_id: o.site_id,
                distance_m: d,
            });
        }
        slides
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn stop(id: &str, lat: f64, lon: f64) -> StopPoint {
        StopPoint {
            id: id.into(),
            name: format!("Arrêt {id}"),
            lat,
            lon,
        }
    }

    pub(crate) fn offer(id: i64, employer: i64, lat: f64, lon: f64) -> HiringOffer {
        HiringOffer {
            offer_id: id,
            code: format!("CODE{id:02}"),
            title: format!("Offre {id}"),
            employer_id: employer,
            employer: format!("Entreprise {employer}"),
            site_id: employer,
            lat,
            lon,
        }
    }

    const DAY: LocalTime = LocalTime {
        day: 20261130,
        minute: 8 * 60,
    };

    fn pos(v: &str, lat: f64, lon: f64, t: i64) -> Position {
        Position {
            vehicle: v.into(),
            trip_id: None,
            route_id: None,
            stop_id: None,
            lat,
            lon,
            timestamp: t,
        }
    }

    fn engine() -> Engine {
        Engine::new(
            vec![
                stop("A", 51.0000, 2.3000),
                stop("B", 51.0100, 2.3000),
                stop("C", 51.0200, 2.3000),
            ],
            HashMap::new(),
            vec![
                offer(1, 10, 51.0102, 2.3010),
                offer(2, 10, 51.0098, 2.3005),
                offer(3, 20, 51.0105, 2.2995),
                offer(4, 30, 51.0300, 2.3000),
            ],
            vec![],
            vec![],
            EngineConfig::default(),
        )
    }

    #[test]
    fn nearing_a_stop_shows_the_offers_within_walking_distance() {
        let mut e = engine();
        let t = 1_800_000_000;
        let trig = e
            .update(&pos("bus1", 51.0098, 2.3001, t), t, DAY)
            .unwrap()
            .unwrap();
        assert_eq!(trig.stop_id.as_deref(), Some("B"));
        let ids: Vec<i64> = trig
            .slides
            .iter()
            .filter_map(|s| match s {
                Slide::Offer { offer_id, .. } => Some(*offer_id),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 3);
        assert!(!ids.contains(&4), "offer 4 is 2 km away");
        // One offer per employer comes first: 10 and 20 before the second offer of 10.
        assert_ne!(
            e.offers[e.offers.iter().position(|o| o.offer_id == ids[0]).unwrap()].employer_id,
            e.offers[e.offers.iter().position(|o| o.offer_id == ids[1]).unwrap()].employer_id
        );
        // Same stop again: nothing changes.
        assert_eq!(
            e.update(&pos("bus1", 51.0099, 2.3001, t + 10), t + 10, DAY)
                .unwrap(),
            None
        );
    }

    #[test]
    fn nothing_near_gives_the_fallback() {
        let mut e = engine();
        let t = 1_800_000_000;
        let trig = e
            .update(&pos("bus1", 51.0001, 2.3001, t), t, DAY)
            .unwrap()
            .unwrap();
        assert!(matches!(trig.slides.as_slice(), [Slide::Fallback { .. }]));
    }

    #[test]
    fn bad_positions_are_refused_and_counted() {
        let mut e = engine();
        let t = 1_800_000_000;
        assert_eq!(
            e.update(&pos("b", 95.0, 2.3, t), t, DAY),
            Err(Rejection::OutOfRange)
        );
        assert_eq!(
            e.update(&pos("b", 51.0, 2.3, t - 500), t, DAY),
            Err(Rejection::Stale)
        );
        assert_eq!(
            e.update(&pos("b", 51.0, 2.3, t + 500), t, DAY),
            Err(Rejection::Future)
        );
        assert_eq!(
            e.update(&pos("b", 48.85, 2.35, t), t, DAY),
            Err(Rejection::OffNetwork)
        );
        e.update(&pos("b", 51.0, 2.3, t), t, DAY).unwrap();
        assert_eq!(
            e.update(&pos("b", 51.0, 2.3, t), t, DAY),
            Err(Rejection::Duplicate)
        );
        assert_eq!(
            e.update(&pos("b", 51.0, 2.3, t - 5), t, DAY),
            Err(Rejection::OutOfOrder)
        );
        assert_eq!(
            e.update(&pos("b", 51.05, 2.3, t + 10), t + 10, DAY),
            Err(Rejection::ImpossibleJump)
        );
        let (ok, rej) = e.counters();
        assert_eq!(ok, 1);
        assert_eq!(rej.values().sum::<u64>(), 7);
    }

    #[test]
    fn a_closed_offer_leaves_at_the_next_trigger() {
        let mut e = engine();
        let t = 1_800_000_000;
        e.update(&pos("bus1", 51.0098, 2.3001, t), t, DAY).unwrap();
        let remaining: Vec<HiringOffer> = e
            .offers
            .iter()
            .filter(|o| o.offer_id != 3)
            .cloned()
            .collect();
        e.set_offers(remaining);
        e.update(&pos("bus1", 51.0001, 2.3001, t + 100), t + 100, DAY)
            .unwrap();
        let trig = e
            .update(&pos("bus2", 51.0098, 2.3001, t + 200), t + 200, DAY)
            .unwrap()
            .unwrap();
        assert!(trig
            .slides
            .iter()
            .all(|s| !matches!(s, Slide::Offer { offer_id: 3, .. })));
    }

    #[test]
    fn campaigns_gate_and_weigh() {
        let mut e = engine();
        e.set_campaigns(vec![Campaign {
            offer_ids: vec![3],
            from_day: 20261201,
            to_day: 20261231,
            from_minute: 0,
            to_minute: 24 * 60,
            weight: 5.0,
            lines: vec![],
        }]);
        let t = 1_800_000_000;
        let trig = e
            .update(&pos("bus1", 51.0098, 2.3001, t), t, DAY)
            .unwrap()
            .unwrap();
        assert!(
            trig.slides
                .iter()
                .all(|s| !matches!(s, Slide::Offer { offer_id: 3, .. })),
            "the campaign has not started"
        );
    }

    #[test]
    fn stop_given_by_the_feed_wins() {
        let mut e = engine();
        let t = 1_800_000_000;
        let mut p = pos("bus1", 51.0001, 2.3001, t);
        p.stop_id = Some("B".into());
        let trig = e.update(&p, t, DAY).unwrap().unwrap();
        assert_eq!(trig.stop_id.as_deref(), Some("B"));
    }
}
