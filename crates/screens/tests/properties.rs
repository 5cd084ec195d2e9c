//! Properties of the engine over random journeys: caps hold, employers share the screens
//! fairly, and a sparse feed never skips a fence.

use dklik_screens::engine::LocalTime;
use dklik_screens::{Engine, EngineConfig, Fence, HiringOffer, Position, Slide, StopPoint};
use proptest::prelude::*;
use std::collections::HashMap;

const DAY: LocalTime = LocalTime {
    day: 20261130,
    minute: 9 * 60,
};

fn stops(n: usize) -> Vec<StopPoint> {
    (0..n)
        .map(|i| StopPoint {
            id: format!("S{i}"),
            name: format!("S{i}"),
            lat: 51.0 + i as f64 * 0.004,
            lon: 2.3,
        })
        .collect()
}

fn offers_near(stops: &[StopPoint], employers: i64, per_employer: i64) -> Vec<HiringOffer> {
    let mut v = Vec::new();
    for s in stops {
        for e in 0..employers {
            for k in 0..per_employer {
                let id = v.len() as i64 + 1;
                v.push(HiringOffer {
                    offer_id: id,
                    code: format!("C{id}"),
                    title: format!("O{id}"),
                    employer_id: e + 1,
                    employer: format!("E{e}"),
                    site_id: e + 1,
                    lat: s.lat + 0.0005 + k as f64 * 0.0001,
                    lon: s.lon + 0.0005,
                });
            }
        }
    }
    v
}

fn offer_ids(slides: &[Slide]) -> Vec<i64> {
    slides
        .iter()
        .filter_map(|s| match s {
            Slide::Offer { offer_id, .. } => Some(*offer_id),
            Slide::Fallback { .. } => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the journeys, no offer exceeds its caps and no trigger shows more than 3.
    #[test]
    fn caps_hold(
        hops in proptest::collection::vec((0usize..6, 0usize..3, 20i64..400), 1..200),
        day_cap in 1u32..5,
        interval in 0i64..1200,
    ) {
        let st = stops(6);
        let cfg = EngineConfig { per_vehicle_day_cap: day_cap, per_vehicle_interval_s: interval, per_day_cap: 3 * day_cap, ..Default::default() };
        let mut e = Engine::new(st.clone(), HashMap::new(), offers_near(&st, 3, 2), vec![], vec![], cfg);
        let mut t = 1_800_000_000i64;
        let mut shown: HashMap<(usize, i64), Vec<i64>> = HashMap::new();
        let mut per_day: HashMap<i64, u32> = HashMap::new();
        for (stop, vehicle, dt) in hops {
            t += dt;
            let s = &st[stop];
            let p = Position { vehicle: format!("v{vehicle}"), trip_id: None, route_id: None, stop_id: None, lat: s.lat, lon: s.lon, timestamp: t };
            if let Ok(Some(trig)) = e.update(&p, t, DAY) {
                let ids = offer_ids(&trig.slides);
                prop_assert!(ids.len() <= 3);
                for id in ids {
                    shown.entry((vehicle, id)).or_default().push(t);
                    *per_day.entry(id).or_default() += 1;
                }
            }
        }
        for times in shown.values() {
            prop_assert!(times.len() as u32 <= day_cap);
            for w in times.windows(2) {
                prop_assert!(w[1] - w[0] >= interval);
            }
        }
        for n in per_day.values() {
            prop_assert!(*n <= 3 * day_cap);
        }
    }

    /// Two employers near the same stop share one vehicle's screen: over many passes neither is
    /// shown more than once more than the other.
    #[test]
    fn rotation_is_fair(passes in 2usize..60) {
        // Two stops 2 km apart: only the first has hiring sites within walking distance.
        let mut st = stops(2);
        st[1].lat = st[0].lat + 0.02;
        let offers: Vec<HiringOffer> = offers_near(&st[..1], 2, 1);
        let cfg = EngineConfig { max_offers: 1, per_vehicle_interval_s: 0, per_vehicle_day_cap: 1000, per_day_cap: 1000, ..Default::default() };
        let mut e = Engine::new(st.clone(), HashMap::new(), offers.clone(), vec![], vec![], cfg);
        let mut t = 1_800_000_000i64;
        let mut count: HashMap<i64, i32> = HashMap::new();
        for k in 0..passes * 2 {
            t += 60;
            let s = &st[k % 2];
            let p = Position { vehicle: "v".into(), trip_id: None, route_id: None, stop_id: None, lat: s.lat, lon: s.lon, timestamp: t };
            if let Ok(Some(trig)) = e.update(&p, t, DAY) {
                for id in offer_ids(&trig.slides) {
                    let emp = offers.iter().find(|o| o.offer_id == id).map(|o| o.employer_id).unwrap_or(0);
                    *count.entry(emp).or_default() += 1;
                }
            }
        }
        let a = count.get(&1).copied().unwrap_or(0);
        let b = count.get(&2).copied().unwrap_or(0);
        prop_assert!((a - b).abs() <= 1, "{a} vs {b}");
        prop_assert_eq!(a + b, passes as i32, "one offer per pass at the first stop");
    }

    /// A bus that crosses a fence between two sparse positions (both outside it) still enters it.
    #[test]
    fn sparse_updates_do_not_skip_a_fence(
        offset in -0.0009f64..0.0009,
        before in 0.002f64..0.01,
        after in 0.002f64..0.01,
    ) {
        let st = stops(1);
        let centre = (51.03, 2.30);
        let fence = Fence { site_id: 7, lat: centre.0, lon: centre.1, radius_m: 120.0 };
        let offer = HiringOffer { offer_id: 70, code: "F".into(), title: "F".into(), employer_id: 7, employer: "E".into(), site_id: 7, lat: centre.0, lon: centre.1 };
        let mut e = Engine::new(st, HashMap::new(), vec![offer], vec![fence], vec![], EngineConfig { stop_approach_m: 50.0, ..Default::default() });
        // Two positions on a north-south line passing within ~100 m of the centre (offset in
        // longitude of at most 0.0009° ≈ 63 m), each well outside the fence.
        let t = 1_800_000_000i64;
        let p1 = Position { vehicle: "v".into(), trip_id: None, route_id: None, stop_id: None, lat: centre.0 - before, lon: centre.1 + offset, timestamp: t };
        let p2 = Position { lat: centre.0 + after, timestamp: t + 120, ..p1.clone() };
        prop_assert!(e.update(&p1, t, DAY).is_ok());
        let trig = e.update(&p2, t + 120, DAY);
        let shown = matches!(&trig, Ok(Some(tr)) if offer_ids(&tr.slides) == vec![70]);
        prop_assert!(shown, "{trig:?}");
    }
}
