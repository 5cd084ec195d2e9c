//! Matching use cases: open offers ranked for a person and people ranked for a post, with the
//! same score (`dklik_domain::matching`), the hard filters checked here (a bus at shift time
//! from the person's neighbourhood and back after it, the days and hours they can work, the
//! licences the post requires), and what would open more jobs.

use crate::skills::SkillsRef;
use crate::store::{Store, StoreError};
use dklik_domain::matching::{crowding, required_certificates, score, Blocker, ItemFacts, Score};
use dklik_domain::privacy::PersonId;
use dklik_domain::skills::{summarise, PersonSkill};
use dklik_domain::{Evidence, Offer, OfferFilter, OgrCode, PersonProfile, Shift};
use dklik_transit::gtfs::Feed;
use dklik_transit::journey::{Journey, Leg, Timetable, WalkParams};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

impl ItemFacts for SkillsRef {
    fn macro_of(&self, item: OgrCode) -> Option<OgrCode> {
        self.index.item(item).and_then(|i| i.macro_code)
    }
    fn spread(&self, item: OgrCode) -> f64 {
        let (n, total) = self.index.spread(item);
        if total == 0 {
            0.0
        } else {
            f64::from(n) / f64::from(total)
        }
    }
}

/// Timetables per day, built once from the stored network.
#[derive(Default)]
pub struct Transit {
    feed: Mutex<Option<Arc<Feed>>>,
    days: Mutex<HashMap<u32, Arc<Timetable>>>,
    /// The feed's version the timetables were made from.
    version: Mutex<Option<i64>>,
}

fn day_number(d: time::Date) -> u32 {
    d.year() as u32 * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day())
}

impl Transit {
    /// Forgets the timetables when another feed was imported since they were made (checked
    /// by the servers every few seconds); whether it did.
    pub async fn follow(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let now = store.gtfs_version().await?;
        let Ok(mut v) = self.version.lock() else {
            return Ok(false);
        };
        let changed = v.is_some_and(|old| old != now);
        *v = Some(now);
        if changed {
            if let Ok(mut f) = self.feed.lock() {
                *f = None;
            }
            if let Ok(mut d) = self.days.lock() {
                d.clear();
            }
        }
        Ok(changed)
    }

    /// The stored network, read once and kept.
    pub async fn feed(&self, store: &dyn Store) -> Result<Arc<Feed>, StoreError> {
        if let Some(f) = self.feed.lock().ok().and_then(|f| f.clone()) {
            return Ok(f);
        }
        let f = Arc::new(store.load_gtfs().await?);
        if let Ok(mut g) = self.feed.lock() {
            *g = Some(f.clone());
        }
        Ok(f)
    }

    /// Bus journeys of one day, computed once and kept.
    pub async fn day(
        &self,
        store: &dyn Store,
        d: time::Date,
    ) -> Result<Arc<Timetable>, StoreError> {
        let key = day_number(d);
        if let Some(t) = self.days.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(t);
        }
        let feed = self.feed(store).await?;
        let weekday = d.weekday().number_days_from_monday() as usize;
        let tt = Arc::new(Timetable::for_day(
            &feed,
            key,
            weekday,
            WalkParams::default(),
        ));
        if let Ok(mut m) = self.days.lock() {
            if m.len() > 14 {
                m.clear();
            }
            m.insert(key, tt.clone());
        }
        Ok(tt)
    }
}

/// A journey explained: "ligne C1 à 4h52 de Grande-Synthe Europe, arrivée 5h31 à Mardyck Usine".
pub fn journey_fr(tt: &Timetable, j: &Journey) -> String {
    let hm = |s: u32| format!("{}h{:02}", (s / 3600) % 24, (s % 3600) / 60);
    let rides: Vec<String> = j
        .legs
        .iter()
        .filter_map(|l| match l {
            Leg::Ride {
                route,
                from,
                to,
                depart,
                arrive,
                ..
            } => Some(format!(
                "ligne {} à {} de {} jusqu'à {} ({})",
                tt.route_name(route),
                hm(*depart),
                tt.stops[*from as usize].name,
                tt.stops[*to as usize].name,
                hm(*arrive)
            )),
            _ => None,
        })
        .collect();
    if rides.is_empty() {
        format!("à pied, départ {} arrivée {}", hm(j.depart), hm(j.arrive))
    } else {
        format!(
            "départ {} : {} ; arrivée {}",
            hm(j.depart),
            rides.join(", puis "),
            hm(j.arrive)
        )
    }
}

/// A person as the matching sees them.
pub struct PersonView {
    /// Its record.
    pub id: PersonId,
    /// Name.
    pub name: String,
    /// The advisor's profile.
    pub profile: Option<PersonProfile>,
    /// Where the person lives, if known.
    pub home: Option<(f64, f64)>,
    /// Skills, strongest evidence each.
    pub skills: Vec<PersonSkill>,
}

/// A person's page data: record, profile, home and skills.
pub async fn person_view(
    store: &dyn Store,
    r: &SkillsRef,
    person_id: PersonId,
) -> Result<Option<PersonView>, StoreError> {
    let Some(p) = store.person(person_id).await? else {
        return Ok(None);
    };
    if p.anonymised_at.is_some() {
        return Ok(None);
    }
    let profile = store.person_profile(person_id).await?;
    let hoods = store.neighbourhoods().await?;
    let home = profile
        .as_ref()
        .and_then(|x| x.neighbourhood_id)
        .and_then(|n| hoods.iter().find(|h| h.id == n))
        .map(|h| (h.lat, h.lon));
    let done: Vec<(OgrCode, String, String)> = store
        .endorsements(person_id)
        .await?
        .into_iter()
        .filter(|e| e.used_at.is_some())
        .map(|e| {
            (
                e.item,
                e.endorser_name.unwrap_or_default(),
                e.endorser_role.unwrap_or_default(),
            )
        })
        .collect();
    let skills = summarise(store.skill_evidence(person_id).await?, &done, |c| {
        r.label(c)
    });
    Ok(Some(PersonView {
        id: person_id,
        name: format!(
            "{} {}",
            p.first_name.unwrap_or_default(),
            profile
                .as_ref()
                .map(|x| x.last_name.clone())
                .unwrap_or_default()
        )
        .trim()
        .to_string(),
        profile,
        home,
        skills,
    }))
}

/// The next day on or after `from` that a shift works.
fn next_shift_day(shift: &Shift, from: time::Date) -> time::Date {
    let mut d = from;
    for _ in 0..7 {
        if shift.days.contains(d.weekday().number_days_from_monday()) {
            return d;
        }
        d = d.next_day().unwrap_or(d);
    }
    from
}

/// What the hard filters found for one shift: blockers, and the journeys there and back.
pub struct ShiftCheck {
    /// What stops the match.
    pub blockers: Vec<Blocker>,
    /// The bus there, in words.
    pub there: Option<String>,
    /// The bus back, in words.
    pub back: Option<String>,
}

/// Checks availability, licences and (without a car) a bus at shift time there and back.
pub async fn hard_filters(
    store: &dyn Store,
    transit: &Transit,
    person: &PersonView,
    offer: &Offer,
    today: time::Date,
) -> Result<ShiftCheck, StoreError> {
    let mut blockers = Vec::new();
    let (mut there, mut back) = (None, None);
    // Licences and certificates the post requires.
    for c in required_certificates(&offer.items) {
        let held = person
            .skills
            .iter()
            .any(|s| s.item == c.code && s.evidence > Evidence::Suggested);
        let licence = dklik_domain::text::fold(&c.label).contains("permis")
            && person.profile.as_ref().is_some_and(|p| p.mobility.licence);
        if !held && !licence {
            blockers.push(Blocker(format!(
                "Demande : {} (la personne ne l'a pas)",
                c.label
            )));
        }
    }
    let Some(shift) = offer.shifts.first() else {
        return Ok(ShiftCheck {
            blockers,
            there,
            back,
        });
    };
    if let Some(p) = &person.profile {
        let days_ok = (0u8..7).any(|d| shift.days.contains(d) && p.days.contains(d));
        if !days_ok {
            blockers.push(Blocker(format!(
                "Horaires : {} ; la personne ne peut pas travailler ces jours-là",
                shift.describe_fr()
            )));
        }
        let period = dklik_domain::ShiftPeriod::of(shift.start);
        if p.periods != 0 && p.periods & period.bit() == 0 {
            blockers.push(Blocker(format!(
                "Horaires : {} ; la personne ne peut pas travailler {}",
                shift.describe_fr(),
                period.label_fr().to_lowercase()
            )));
        }
    }
    let by_car = person
        .profile
        .as_ref()
        .is_some_and(|p| p.mobility.car && p.mobility.licence);
    if by_car {
        there = Some("en voiture".into());
        return Ok(ShiftCheck {
            blockers,
            there,
            back,
        });
    }
    let Some(home) = person.home else {
        return Ok(ShiftCheck {
            blockers,
            there: Some(
                "trajet non vérifié : le quartier de la personne n'est pas renseigné".into(),
            ),
            back,
        });
    };
    let site = (offer.site.coordinates.lat(), offer.site.coordinates.lon());
    let day = next_shift_day(shift, today);
    let tt = transit.day(store, day).await?;
    let start = u32::from(shift.start.minutes()) * 60;
    if !tt.has_service() {
        blockers.push(Blocker(format!(
            "Pas de bus ce jour-là ({}) pour l'embauche de {}",
            crate::skills::day_label(day),
            shift.start.hhmm()
        )));
        return Ok(ShiftCheck {
            blockers,
            there,
            back,
        });
    }
    match tt.arrive_by(home, site, start, 5400, 4) {
        Some(j) => there = Some(journey_fr(&tt, &j)),
        None => blockers.push(Blocker(format!(
            "Pas de bus pour arriver avant {} ({})",
            shift.start.hhmm(),
            crate::skills::day_label(day)
        ))),
    }
    // Home after the shift (the next morning for a night shift).
    let (end_day, end) = if shift.overnight() {
        (
            day.next_day().unwrap_or(day),
            u32::from(shift.end.minutes()) * 60,
        )
    } else {
        (day, u32::from(shift.end.minutes()) * 60)
    };
    let tt_back = transit.day(store, end_day).await?;
    match tt_back.earliest_arrival(site, home, end, 4) {
        Some(j) if j.arrive <= end + 2 * 3600 => back = Some(journey_fr(&tt_back, &j)),
        _ => blockers.push(Blocker(format!(
            "Pas de bus pour rentrer après {} (moins de 2 h d'attente)",
            shift.end.hhmm()
        ))),
    }
    Ok(ShiftCheck {
        blockers,
        there,
        back,
    })
}

/// An offer ranked for a person.
pub struct RankedOffer {
    /// The offer.
    pub offer: Offer,
    /// Its score.
    pub score: Score,
    /// The bus there.
    pub there: Option<String>,
    /// The bus back.
    pub back: Option<String>,
    /// Proposals in course for this offer (open introductions, waiting call-back requests).
    pub proposed: u32,
    /// The value the order uses: the score's, lowered by [`crowding`] of `proposed`.
    pub rank_value: f64,
}

/// How many offers a person can reach the list explains (then it stops looking).
pub const OFFERS_SHOWN: usize = 50;

/// A person's offers: the best ones checked against the hard filters, and what would open more.
pub struct PersonOffers {
    /// Best first; those set aside (hours, licence, no bus) come last with their reasons.
    pub ranked: Vec<RankedOffer>,
    /// Counted over every published offer.
    pub openings: Vec<Opening>,
    /// Published offers scored in all.
    pub scored: usize,
}

/// Every published offer is scored (pure, explained) and ranked by its value lowered by how
/// many proposals it already has in course ([`crowding`]); the best are checked against the
/// hard filters, journeys included, until [`OFFERS_SHOWN`] are within reach; "what would open
/// more" looks at every offer.
pub async fn offers_for_person(
    store: &dyn Store,
    r: &SkillsRef,
    transit: &Transit,
    person: &PersonView,
    today: time::Date,
) -> Result<PersonOffers, StoreError> {
    let proposals = store.open_proposals().await?;
    let mut all: Vec<(Offer, Score)> = Vec::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_offers(&OfferFilter {
                limit: 500,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.offers.len() as u32;
        for o in page.offers {
            let s = score(&person.skills, &o.items, r, vec![]);
            all.push((o, s));
        }
        if n < 500 {
            break;
        }
        offset += n;
    }
    let ranked_value = |o: &Offer, s: &Score| s.value * crowding(proposals.offer(o.id.0));
    all.sort_by(|a, b| {
        ranked_value(&b.0, &b.1)
            .total_cmp(&ranked_value(&a.0, &a.1))
            .then(a.0.title.cmp(&b.0.title))
    });
    let openings = what_would_open_more(all.iter().map(|(_, s)| s), 5);
    let scored = all.len();
    let mut ranked = Vec::new();
    let mut within_reach = 0;
    for (o, plain) in all {
        if within_reach >= OFFERS_SHOWN || ranked.len() >= 4 * OFFERS_SHOWN {
            break;
        }
        let check = hard_filters(store, transit, person, &o, today).await?;
        let s = Score {
            blockers: check.blockers,
            ..plain
        };
        if s.eligible() {
            within_reach += 1;
        }
        let proposed = proposals.offer(o.id.0);
        ranked.push(RankedOffer {
            rank_value: s.value * crowding(proposed),
            offer: o,
            score: s,
            there: check.there,
            back: check.back,
            proposed,
        });
    }
    ranked.sort_by(|a, b| {
        b.score
            .eligible()
            .cmp(&a.score.eligible())
            .then(b.rank_value.total_cmp(&a.rank_value))
            .then(a.offer.title.cmp(&b.offer.title))
    });
    Ok(PersonOffers {
        ranked,
        openings,
        scored,
    })
}

/// A missing item that would open offers, and how many.
pub struct Opening {
    /// The item.
    pub item: OgrCode,
    /// Its label.
    pub label: String,
    /// Offers that need it.
    pub offers: usize,
}

/// The missing must items that hold back the most offers (those not already a strong match).
pub fn what_would_open_more<'a>(scores: impl Iterator<Item = &'a Score>, n: usize) -> Vec<Opening> {
    let mut counts: HashMap<i64, (String, usize)> = HashMap::new();
    for s in scores {
        if s.badge == dklik_domain::matching::Badge::Strong {
            continue;
        }
        for t in &s.terms {
            if t.importance == dklik_domain::Importance::Must && t.credit < 0.25 {
                let e = counts.entry(t.item.0).or_insert((t.label.clone(), 0));
                e.1 += 1;
            }
        }
    }
    let mut v: Vec<Opening> = counts
        .into_iter()
        .map(|(c, (label, offers))| Opening {
            item: OgrCode(c),
            label,
            offers,
        })
        .collect();
    v.sort_by(|a, b| b.offers.cmp(&a.offers).then(a.label.cmp(&b.label)));
    v.truncate(n);
    v
}

/// A person ranked for a post.
pub struct RankedPerson {
    /// Who.
    pub person_id: PersonId,
    /// Their name.
    pub name: String,
    /// Their score.
    pub score: Score,
    /// The bus there.
    pub there: Option<String>,
    /// The person's open introductions (to any post).
    pub proposed: u32,
    /// The value the order uses: the score's, lowered by [`crowding`] of `proposed`.
    pub rank_value: f64,
}

/// How many people who can take a post the ranking explains (then it stops looking).
pub const PEOPLE_SHOWN: usize = 50;

/// Everyone advisors follow, as the matching sees them, loaded in a few queries.
pub async fn followed_people(
    store: &dyn Store,
    r: &SkillsRef,
) -> Result<Vec<PersonView>, StoreError> {
    let hoods = store.neighbourhoods().await?;
    Ok(store
        .matching_people()
        .await?
        .into_iter()
        .map(|m| {
            let home = m
                .profile
                .neighbourhood_id
                .and_then(|n| hoods.iter().find(|h| h.id == n))
                .map(|h| (h.lat, h.lon));
            let skills = summarise(m.evidence, &m.endorsed, |c| r.label(c));
            PersonView {
                id: m.profile.person_id,
                name: format!("{} {}", m.first_name, m.profile.last_name)
                    .trim()
                    .to_string(),
                profile: Some(m.profile),
                home,
                skills,
            }
        })
        .collect())
}

/// The people advisors follow, ranked for one post: everyone is scored at once (the
/// compiled score, equal to [`score`]), then the best are explained and checked against the
/// hard filters (days, hours, licences, the bus there and back) until [`PEOPLE_SHOWN`] can
/// take the post; those set aside on the way come after them, with the reason. People with
/// open introductions go down by [`crowding`], so that proposals spread over people too.
pub async fn people_for_offer(
    store: &dyn Store,
    r: &SkillsRef,
    transit: &Transit,
    offer: &Offer,
    today: time::Date,
) -> Result<Vec<RankedPerson>, StoreError> {
    let people = followed_people(store, r).await?;
    let mut index = dklik_domain::matching::PeopleIndex::default();
    for p in &people {
        index.push(&p.skills, r);
    }
    let post = dklik_domain::matching::CompiledNeeds::new(&offer.items, r);
    let mut values = Vec::new();
    index.values(&post, &mut values);
    // People already introduced to several posts go down, so that proposals spread.
    let proposals = store.open_proposals().await?;
    for (v, p) in values.iter_mut().zip(&people) {
        *v *= crowding(proposals.person(p.id.0));
    }
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    let mut out = Vec::new();
    let mut eligible = 0;
    for i in order {
        if eligible >= PEOPLE_SHOWN || out.len() >= 4 * PEOPLE_SHOWN {
            break;
        }
        let p = &people[i];
        let check = hard_filters(store, transit, p, offer, today).await?;
        let s = score(&p.skills, &offer.items, r, check.blockers);
        if s.eligible() {
            eligible += 1;
        }
        let proposed = proposals.person(p.id.0);
        out.push(RankedPerson {
            person_id: p.id,
            name: p.name.clone(),
            rank_value: s.value * crowding(proposed),
            score: s,
            there: check.there,
            proposed,
        });
    }
    out.sort_by(|a, b| {
        b.score
            .eligible()
            .cmp(&a.score.eligible())
            .then(b.rank_value.total_cmp(&a.rank_value))
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}
