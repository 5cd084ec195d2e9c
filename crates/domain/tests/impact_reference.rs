//! The funnel counted the fast way equals the funnel counted the plain way (a set of people per
//! row and column), on generated paths, for every breakdown and channel filter.

use dklik_domain::impact::*;
use dklik_domain::privacy::PersonId;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const CHANNEL_CODES: [&str; 4] = ["ecran", "site", "affiche", "partenaire"];

fn plain_key(dim: Dimension, data: &ImpactData, first: &PathEvent, e: &PathEvent) -> String {
    let person = data.people.get(&e.person_id).cloned().unwrap_or_default();
    let offer = e.offer_id.and_then(|o| data.offers.get(&o));
    match dim {
        Dimension::Channel => first.channel.clone(),
        Dimension::Line => first.line.clone().unwrap_or_default(),
        Dimension::Stop => first.stop.clone().unwrap_or_default(),
        Dimension::Employer => offer.map(|o| o.employer.clone()).unwrap_or_default(),
        Dimension::TradeFamily => offer
            .map(|o| trade_family(&o.rome).0.to_string())
            .unwrap_or_default(),
        Dimension::Neighbourhood => person.neighbourhood.unwrap_or_default(),
        Dimension::Qpv => match person.qpv {
            Some(true) => "oui".into(),
            Some(false) => "non".into(),
            None => String::new(),
        },
        Dimension::AgeBand => person.age_band.unwrap_or_default(),
        Dimension::Gender => person.gender.unwrap_or_default(),
    }
}

/// People per (row key, column) and in total, counted with sets.
fn plain(
    data: &ImpactData,
    p: Period,
    channel: Option<&str>,
    dim: Dimension,
) -> (BTreeMap<(String, usize), usize>, BTreeMap<usize, usize>) {
    let firsts = first_contacts(&data.events);
    let mut rows: BTreeMap<(String, usize), BTreeSet<PersonId>> = BTreeMap::new();
    let mut total: BTreeMap<usize, BTreeSet<PersonId>> = BTreeMap::new();
    for e in &data.events {
        let Some(col) = e
            .stage
            .and_then(|s| Stage::FUNNEL.iter().position(|x| *x == s))
        else {
            continue;
        };
        let first = &data.events[firsts[&e.person_id]];
        if !p.contains(e.at) || channel.is_some_and(|c| c != first.channel) {
            continue;
        }
        let col = col + FIRST_PEOPLE_COLUMN;
        rows.entry((plain_key(dim, data, first, e), col))
            .or_default()
            .insert(e.person_id);
        total.entry(col).or_default().insert(e.person_id);
    }
    (
        rows.into_iter().map(|(k, v)| (k, v.len())).collect(),
        total.into_iter().map(|(k, v)| (k, v.len())).collect(),
    )
}

fn generated() -> impl Strategy<Value = ImpactData> {
    let event = (
        0i64..30,
        0i64..100,
        0usize..7,
        0usize..4,
        0i64..6,
        0usize..3,
    );
    (
        prop::collection::vec(event, 0..300),
        prop::collection::vec((0usize..3, 0usize..3), 30),
    )
        .prop_map(|(events, people)| {
            let mut data = ImpactData::default();
            for (id, (g, a)) in people.iter().enumerate() {
                data.people.insert(
                    PersonId(id as i64),
                    PersonFacts {
                        id: PersonId(id as i64),
                        neighbourhood: (*g > 0).then(|| format!("Q{g}")),
                        qpv: [None, Some(true), Some(false)][*a],
                        age_band: (*a > 0).then(|| AGE_BANDS[*a].0.to_string()),
                        gender: (*g > 0).then(|| GENDERS[*g - 1].0.to_string()),
                    },
                );
            }
            for o in 0..5 {
                data.offers.insert(
                    dklik_domain::OfferId(o),
                    OfferFacts {
                        id: dklik_domain::OfferId(o),
                        employer: format!("E{}", o % 3),
                        rome: ["H2913", "N1103", "I1304"][(o % 3) as usize].into(),
                    },
                );
            }
            for (i, (person, at, stage, channel, offer, line)) in events.into_iter().enumerate() {
                let stage = match stage {
                    0 => None,
                    1 => Some(Stage::Contact),
                    k => Some(Stage::FUNNEL[k - 2]),
                };
                let bus = CHANNEL_CODES[channel] == "ecran";
                data.events.push(PathEvent {
                    id: i as i64,
                    person_id: PersonId(person),
                    at,
                    stage,
                    channel: CHANNEL_CODES[channel].into(),
                    offer_id: (offer < 5).then_some(dklik_domain::OfferId(offer)),
                    vehicle: bus.then(|| "bus-1".into()),
                    line: bus.then(|| format!("{}", line + 1)),
                    stop: bus.then(|| format!("Arrêt {line}")),
                });
            }
            data
        })
}

proptest! {
    #[test]
    fn the_fast_funnel_counts_what_sets_count(data in generated(), from in 0i64..50, len in 1i64..60, filter in 0usize..5) {
        let p = Period { from, to: from + len };
        let channel = CHANNEL_CODES.get(filter).copied();
        for dim in Dimension::ALL {
            let t = funnel(&data, p, channel, dim);
            let (rows, total) = plain(&data, p, channel, dim);
            for ((key, col), n) in &rows {
                let row = t.rows.iter().find(|r| &r.key == key);
                prop_assert!(row.is_some(), "{dim:?}: no row {key}");
                prop_assert_eq!(row.and_then(|r| r.counts[*col]), Some(*n as u64), "{:?} {} col {}", dim, key, col);
            }
            for col in FIRST_PEOPLE_COLUMN..FUNNEL_COLUMNS.len() {
                prop_assert_eq!(t.total.counts[col], Some(total.get(&col).copied().unwrap_or(0) as u64));
                let listed: u64 = t.rows.iter().filter_map(|r| r.counts[col]).sum();
                let expected: usize = rows.iter().filter(|((_, c), _)| *c == col).map(|(_, n)| n).sum();
                prop_assert_eq!(listed, expected as u64, "{:?} col {}: rows add up", dim, col);
            }
        }
    }
}

#[test]
fn an_empty_period_counts_nobody() {
    let data = ImpactData {
        events: vec![PathEvent {
            id: 1,
            person_id: PersonId(1),
            at: 10,
            stage: Some(Stage::Hire),
            channel: "site".into(),
            ..Default::default()
        }],
        people: HashMap::new(),
        ..Default::default()
    };
    let t = funnel(&data, Period { from: 20, to: 30 }, None, Dimension::Channel);
    assert!(t.rows.is_empty());
    assert_eq!(t.total.counts[6], Some(0));
}
