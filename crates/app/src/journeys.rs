//! "Can I get there by bus for this shift?" for the public: the stops within walking distance
//! of an offer's site, and from a place of the territory (a neighbourhood or a stop) the bus to
//! take to arrive before each shift starts and the way back after it ends — or, plainly, that
//! there is none, with the nearest bus the timetable has.

use crate::matching::{journey_fr, Transit};
use crate::store::{Store, StoreError};
use dklik_domain::text::fold;
use dklik_domain::{Offer, OfferId, Shift};
use dklik_transit::journey::{Journey, Leg, Timetable};
use serde::Serialize;

/// How early one may leave for work: a journey leaving more than this before the shift starts
/// is not proposed as "the bus to take" (it is said as the nearest alternative).
pub const EARLY_WINDOW_S: u32 = 2 * 3600;
/// How long one may wait after the shift for the bus home.
pub const WAIT_AFTER_S: u32 = 2 * 3600;
/// Days looked ahead for a day the shift runs and the timetable covers.
pub const DAYS_AHEAD: i64 = 14;
/// The longest place name read.
pub const MAX_TYPED: usize = 120;

/// A place a journey starts from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Place {
    /// Its key in links and forms: `q<number>` for a neighbourhood, `a<stop id>` for a stop.
    pub key: String,
    /// Its name.
    pub name: String,
    /// "quartier prioritaire, Grande-Synthe", "arrêt de bus"…
    pub detail: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The places one can start from: the territory's neighbourhoods, then the network's stops.
pub async fn places(store: &dyn Store, transit: &Transit) -> Result<Vec<Place>, StoreError> {
    let mut out: Vec<Place> = store
        .neighbourhoods()
        .await?
        .into_iter()
        .map(|h| Place {
            key: format!("q{}", h.id),
            name: h.name,
            detail: if h.qpv {
                format!("quartier prioritaire, {}", h.commune)
            } else {
                format!("quartier, {}", h.commune)
            },
            lat: h.lat,
            lon: h.lon,
        })
        .collect();
    let feed = transit.feed(store).await?;
    let mut stops: Vec<Place> = feed
        .stops
        .iter()
        .filter(|s| s.location_type == 0)
        .map(|s| Place {
            key: format!("a{}", s.id),
            name: s.name.clone(),
            detail: "arrêt de bus".into(),
            lat: s.lat,
            lon: s.lon,
        })
        .collect();
    stops.sort_by(|a, b| a.name.cmp(&b.name));
    stops.dedup_by(|a, b| a.name == b.name);
    out.extend(stops);
    Ok(out)
}

/// The place meant by what was typed or picked: its key, or its name (accents, case and extra
/// spaces ignored; a unique beginning is enough). A French sentence when none is.
pub fn find_place<'a>(all: &'a [Place], typed: &str) -> Result<&'a Place, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Choisissez un quartier ou un arrêt dans la liste, ou tapez son nom.".into());
    }
    if typed.chars().count() > MAX_TYPED {
        return Err(format!(
            "Ce nom est trop long ({MAX_TYPED} caractères au plus) : tapez le nom d'un quartier ou d'un arrêt."
        ));
    }
    if let Some(p) = all.iter().find(|p| p.key == typed) {
        return Ok(p);
    }
    let words = |s: &str| {
        fold(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let wanted = words(typed);
    if wanted.is_empty() {
        return Err(format!(
            "« {typed} » n'est pas un nom de lieu : tapez le nom d'un quartier ou d'un arrêt."
        ));
    }
    if let Some(p) = all.iter().find(|p| words(&p.name) == wanted) {
        return Ok(p);
    }
    let starting: Vec<&Place> = all
        .iter()
        .filter(|p| words(&p.name).starts_with(&wanted))
        .collect();
    match starting.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "« {typed} » n'est pas un quartier ni un arrêt connu : choisissez dans la liste."
        )),
        many => Err(format!(
            "Plusieurs lieux commencent par « {typed} » ({}…) : choisissez dans la liste.",
            many.iter()
                .take(3)
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A stop within walking distance of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NearStop {
    /// Its name.
    pub name: String,
    /// The lines that stop there.
    pub lines: Vec<String>,
    /// Minutes on foot to the site.
    pub walk_minutes: u32,
}

/// The stops within walking distance of a point, nearest first (one per name).
pub fn stops_near(tt: &Timetable, p: (f64, f64)) -> Vec<NearStop> {
    let mut near = tt.stops_near(p);
    near.sort_by_key(|(_, s)| *s);
    let mut out: Vec<NearStop> = Vec::new();
    for (i, secs) in near {
        let name = tt.stops[i as usize].name.clone();
        if out.iter().any(|s| s.name == name) {
            continue;
        }
        out.push(NearStop {
            name,
            lines: tt.lines_at(i),
            walk_minutes: secs.div_ceil(60).max(1),
        });
    }
    out
}

/// One way of one shift: the bus to take, or why there is none and the nearest one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Way {
    /// A bus fits.
    pub ok: bool,
    /// The journey or the reason, in words.
    pub text: String,
    /// The nearest journey when none fits, in words.
    pub alternative: Option<String>,
    /// Leaving, "HH:MM" (when a bus fits).
    pub depart: Option<String>,
    /// Arriving, "HH:MM" (when a bus fits).
    pub arrive: Option<String>,
    /// Buses taken (when a bus fits).
    pub rides: Option<u32>,
}

fn hm(s: u32) -> String {
    format!("{:02}:{:02}", (s / 3600) % 24, (s % 3600) / 60)
}

/// A time as the journeys say it: "5h18".
fn fr(s: u32) -> String {
    format!("{}h{:02}", (s / 3600) % 24, (s % 3600) / 60)
}

fn fits(tt: &Timetable, j: &Journey) -> Way {
    Way {
        ok: true,
        text: journey_fr(tt, j),
        alternative: None,
        depart: Some(hm(j.depart)),
        arrive: Some(hm(j.arrive)),
        rides: Some(j.rides() as u32),
    }
}

fn none(text: String, alternative: Option<String>) -> Way {
    Way {
        ok: false,
        text,
        alternative,
        depart: None,
        arrive: None,
        rides: None,
    }
}

/// A shift's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ShiftWays {
    /// The shift in words ("Du lundi au vendredi, de 6 h à 13 h").
    pub shift: String,
    /// The day the answer is for, in words.
    pub day: Option<String>,
    /// The day, YYYY-MM-DD.
    pub date: Option<String>,
    /// There, before the start.
    pub there: Option<Way>,
    /// Back, after the end.
    pub back: Option<Way>,
    /// Said instead when the timetable does not cover the shift's days.
    pub not_covered: Option<String>,
}

/// What the offer page and the API answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OfferJourneys {
    /// Where from.
    pub from: Place,
    /// Per shift of the offer.
    pub shifts: Vec<ShiftWays>,
    /// Said when the offer has no shift (hours to agree).
    pub no_shift: Option<String>,
}

/// The next day the shift runs that the timetable covers, within [`DAYS_AHEAD`] days (not
/// today once the shift has started).
async fn covered_day(
    store: &dyn Store,
    transit: &Transit,
    shift: &Shift,
    now: time::PrimitiveDateTime,
) -> Result<Option<(time::Date, std::sync::Arc<Timetable>)>, StoreError> {
    let mut d = now.date();
    let minute = u16::from(now.hour()) * 60 + u16::from(now.minute());
    for _ in 0..DAYS_AHEAD {
        let started = d == now.date() && shift.start.minutes() <= minute;
        if !started && shift.days.contains(d.weekday().number_days_from_monday()) {
            let tt = transit.day(store, d).await?;
            if tt.has_service() {
                return Ok(Some((d, tt)));
            }
        }
        d = d.next_day().unwrap_or(d);
    }
    Ok(None)
}

fn first_ride_depart(j: &Journey) -> Option<u32> {
    j.legs.iter().find_map(|l| match l {
        Leg::Ride { depart, .. } => Some(*depart),
        _ => None,
    })
}

/// One shift from a place: there before the start, back after the end.
async fn shift_ways(
    store: &dyn Store,
    transit: &Transit,
    offer: &Offer,
    shift: &Shift,
    from: (f64, f64),
    now: time::PrimitiveDateTime,
) -> Result<ShiftWays, StoreError> {
    let site = (offer.site.coordinates.lat(), offer.site.coordinates.lon());
    let Some((day, tt)) = covered_day(store, transit, shift, now).await? else {
        return Ok(ShiftWays {
            shift: shift.describe_fr(),
            day: None,
            date: None,
            there: None,
            back: None,
            not_covered: Some(format!(
                "Les horaires de bus connus ne couvrent pas les jours de ce poste dans les {DAYS_AHEAD} jours qui viennent : impossible de dire s'il y a un bus. Demandez à votre conseiller."
            )),
        });
    };
    let start = u32::from(shift.start.minutes()) * 60;
    let there = match tt.arrive_by(from, site, start, EARLY_WINDOW_S, 4) {
        Some(j) => fits(&tt, &j),
        None => {
            // The nearest the timetable has: the last arrival before, the first after.
            let before = tt.arrive_by(from, site, start, 12 * 3600, 4).map(|j| {
                format!(
                    "le dernier bus avant arrive à {} ({})",
                    fr(j.arrive),
                    journey_fr(&tt, &j)
                )
            });
            let after = tt
                .earliest_arrival(from, site, start.saturating_sub(EARLY_WINDOW_S), 4)
                .filter(|j| j.arrive > start)
                .map(|j| {
                    format!(
                        "le premier bus après arrive à {}, après l'embauche",
                        fr(j.arrive)
                    )
                });
            let alt = [before, after].into_iter().flatten().collect::<Vec<_>>();
            none(
                format!(
                    "Pas de bus pour ce poste : aucun ne vous amène à l'heure en partant moins de 2 heures avant l'embauche de {}.",
                    fr(start)
                ),
                (!alt.is_empty()).then(|| alt.join(" ; ")),
            )
        }
    };
    let (end_day, end) = if shift.overnight() {
        (
            day.next_day().unwrap_or(day),
            u32::from(shift.end.minutes()) * 60,
        )
    } else {
        (day, u32::from(shift.end.minutes()) * 60)
    };
    let tt_back = transit.day(store, end_day).await?;
    let back = match tt_back.earliest_arrival(site, from, end, 4) {
        Some(j) if first_ride_depart(&j).unwrap_or(j.depart) <= end + WAIT_AFTER_S => {
            fits(&tt_back, &j)
        }
        later => none(
            format!(
                "Pas de bus pour rentrer dans les 2 heures après la fin de {}.",
                fr(end)
            ),
            later.map(|j| {
                format!(
                    "le premier bus part à {} ({})",
                    fr(j.depart),
                    journey_fr(&tt_back, &j)
                )
            }),
        ),
    };
    Ok(ShiftWays {
        shift: shift.describe_fr(),
        day: Some(crate::skills::day_label(day)),
        date: Some(day.to_string()),
        there: Some(there),
        back: Some(back),
        not_covered: None,
    })
}

/// Every shift of an offer from a place, for the next day each runs (`now`: Paris time).
pub async fn offer_journeys(
    store: &dyn Store,
    transit: &Transit,
    offer: &Offer,
    from: &Place,
    now: time::PrimitiveDateTime,
) -> Result<OfferJourneys, StoreError> {
    let mut shifts = Vec::new();
    for s in &offer.shifts {
        shifts.push(shift_ways(store, transit, offer, s, (from.lat, from.lon), now).await?);
    }
    Ok(OfferJourneys {
        from: from.clone(),
        no_shift: offer.shifts.is_empty().then(|| {
            "Les horaires de ce poste sont à convenir avec l'employeur : regardez les bus une fois les horaires connus.".to_string()
        }),
        shifts,
    })
}

/// The stops within walking distance of an offer's site, on the next weekday the timetable
/// covers (today when it runs).
pub async fn offer_stops(
    store: &dyn Store,
    transit: &Transit,
    offer: &Offer,
    today: time::Date,
) -> Result<Vec<NearStop>, StoreError> {
    let site = (offer.site.coordinates.lat(), offer.site.coordinates.lon());
    let mut d = today;
    for _ in 0..DAYS_AHEAD {
        let tt = transit.day(store, d).await?;
        if tt.has_service() {
            return Ok(stops_near(&tt, site));
        }
        d = d.next_day().unwrap_or(d);
    }
    Ok(Vec::new())
}

/// Whether a shift is reachable from a place both ways, by the same rules as
/// [`offer_journeys`] (a bus there leaving at most 2 hours before the start, a bus back within
/// 2 hours of the end, on the next day the shift runs that the timetable covers).
pub async fn shift_reachable(
    store: &dyn Store,
    transit: &Transit,
    site: (f64, f64),
    shift: &Shift,
    from: (f64, f64),
    now: time::PrimitiveDateTime,
) -> Result<bool, StoreError> {
    let Some((day, tt)) = covered_day(store, transit, shift, now).await? else {
        return Ok(false);
    };
    let start = u32::from(shift.start.minutes()) * 60;
    let there = tt
        .earliest_arrival(from, site, start.saturating_sub(EARLY_WINDOW_S), 4)
        .is_some_and(|j| j.arrive <= start);
    if !there {
        return Ok(false);
    }
    let (end_day, end) = if shift.overnight() {
        (
            day.next_day().unwrap_or(day),
            u32::from(shift.end.minutes()) * 60,
        )
    } else {
        (day, u32::from(shift.end.minutes()) * 60)
    };
    let tt_back = transit.day(store, end_day).await?;
    Ok(tt_back
        .earliest_arrival(site, from, end, 4)
        .is_some_and(|j| first_ride_depart(&j).unwrap_or(j.depart) <= end + WAIT_AFTER_S))
}

/// For each neighbourhood, the published offers with at least one shift reachable by bus both
/// ways: what the list's "accessible en bus depuis …" filter reads, built when the offers (or
/// the hour) change rather than per request.
#[derive(Debug, Default)]
pub struct ReachTable {
    /// The neighbourhoods, as places (key, name).
    pub places: Vec<(String, String)>,
    by_place: std::collections::HashMap<String, std::sync::Arc<std::collections::HashSet<OfferId>>>,
    /// The offers' version it was built from.
    pub version: (i64, i64),
    /// The hour (Paris, "YYYY-MM-DD HH") it was built at: rebuilt each hour.
    pub hour: String,
}

impl ReachTable {
    /// The offers reachable from a place (by key), if the place is in the table.
    pub fn reachable(
        &self,
        key: &str,
    ) -> Option<std::sync::Arc<std::collections::HashSet<OfferId>>> {
        self.by_place.get(key).cloned()
    }

    /// Builds the table: every neighbourhood × every published offer's shifts (one journey
    /// search per distinct site and shift).
    pub async fn build(
        store: &dyn Store,
        transit: &Transit,
        now: time::PrimitiveDateTime,
    ) -> Result<Self, StoreError> {
        let version = store.offers_version().await?;
        let offers = store.published_offers(false).await?;
        let hoods = store.neighbourhoods().await?;
        let mut by_place = std::collections::HashMap::new();
        let mut places = Vec::new();
        for h in hoods {
            let key = format!("q{}", h.id);
            let mut memo: std::collections::HashMap<(u64, u64, Shift), bool> =
                std::collections::HashMap::new();
            let mut set = std::collections::HashSet::new();
            for o in &offers {
                let site = (o.site.coordinates.lat(), o.site.coordinates.lon());
                for s in &o.shifts {
                    let k = (site.0.to_bits(), site.1.to_bits(), *s);
                    let ok = match memo.get(&k) {
                        Some(v) => *v,
                        None => {
                            let v = shift_reachable(store, transit, site, s, (h.lat, h.lon), now)
                                .await?;
                            memo.insert(k, v);
                            v
                        }
                    };
                    if ok {
                        set.insert(o.id);
                        break;
                    }
                }
            }
            by_place.insert(key.clone(), std::sync::Arc::new(set));
            places.push((key, h.name));
        }
        Ok(Self {
            places,
            by_place,
            version,
            hour: format!("{} {:02}", now.date(), now.hour()),
        })
    }
}

/// The reachability table in use, rebuilt when the offers change or the hour turns.
#[derive(Default)]
pub struct Reach {
    table: std::sync::RwLock<Option<std::sync::Arc<ReachTable>>>,
}

fn paris_now() -> time::PrimitiveDateTime {
    let p = crate::now_paris();
    time::PrimitiveDateTime::new(p.date(), p.time())
}

impl Reach {
    /// The table as last built, if it was.
    pub fn current(&self) -> Option<std::sync::Arc<ReachTable>> {
        self.table.read().ok().and_then(|t| t.clone())
    }

    /// Rebuilds the table when the offers changed or the hour turned (or `force`); whether it
    /// was rebuilt.
    pub async fn refresh(
        &self,
        store: &dyn Store,
        transit: &Transit,
        force: bool,
    ) -> Result<bool, StoreError> {
        let now = paris_now();
        let hour = format!("{} {:02}", now.date(), now.hour());
        let version = store.offers_version().await?;
        if !force
            && self
                .current()
                .is_some_and(|t| t.version == version && t.hour == hour)
        {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let t = ReachTable::build(store, transit, now).await?;
        tracing::info!(
            places = t.places.len(),
            ms = started.elapsed().as_millis() as u64,
            "accessibilité en bus des offres à jour"
        );
        if let Ok(mut g) = self.table.write() {
            *g = Some(std::sync::Arc::new(t));
        }
        crate::release_memory();
        Ok(true)
    }

    /// The table, built now if it never was.
    pub async fn get(
        &self,
        store: &dyn Store,
        transit: &Transit,
    ) -> Result<std::sync::Arc<ReachTable>, StoreError> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        self.refresh(store, transit, true).await?;
        self.current()
            .ok_or_else(|| StoreError::Backend("table d'accessibilité absente".into()))
    }
}

/// Keeps the timetables and the table fresh for as long as the server runs (checked every 2
/// seconds): a new feed imported, offers changed, the hour turned.
pub async fn keep_fresh(
    store: std::sync::Arc<dyn Store>,
    transit: std::sync::Arc<Transit>,
    reach: std::sync::Arc<Reach>,
) {
    loop {
        // A new feed imported meanwhile: new timetables, and the table made again.
        let new_feed = match transit.follow(store.as_ref()).await {
            Ok(changed) => changed,
            Err(e) => {
                tracing::warn!("horaires de bus : {e}");
                false
            }
        };
        if new_feed {
            tracing::info!("nouveau réseau de bus : horaires refaits");
        }
        if let Err(e) = reach.refresh(store.as_ref(), &transit, new_feed).await {
            tracing::warn!("accessibilité en bus des offres : {e}");
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(key: &str, name: &str) -> Place {
        Place {
            key: key.into(),
            name: name.into(),
            detail: String::new(),
            lat: 51.0,
            lon: 2.3,
        }
    }

    #[test]
    fn places_are_found_by_key_name_or_a_unique_beginning() {
        let all = [
            place("q1", "Europe (démo)"),
            place("q2", "Moulin (démo)"),
            place("aS1", "Gare de Dunkerque"),
            place("aS2", "Grande-Synthe Europe"),
        ];
        assert_eq!(
            find_place(&all, "q2").map(|p| &p.key),
            Ok(&"q2".to_string())
        );
        assert_eq!(
            find_place(&all, "  gare DE dunkerque ").map(|p| &p.key),
            Ok(&"aS1".to_string())
        );
        assert_eq!(
            find_place(&all, "moul").map(|p| &p.key),
            Ok(&"q2".to_string())
        );
        assert_eq!(
            find_place(&all, "europe demo").map(|p| &p.key),
            Ok(&"q1".to_string())
        );
        assert!(find_place(&all, "").unwrap_err().contains("Choisissez"));
        assert!(find_place(&all, &"x".repeat(1000))
            .unwrap_err()
            .contains("trop long"));
        assert!(find_place(&all, "Lille").unwrap_err().contains("n'est pas"));
        assert!(find_place(&all, "g").unwrap_err().contains("Plusieurs"));
        assert!(find_place(&all, "!!!")
            .unwrap_err()
            .contains("n'est pas un nom"));
    }
}
