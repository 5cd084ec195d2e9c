//! `dklik bench engine`: position updates per second through the trigger engine, side by side
//! with a brute-force scan of the same data, in the same run. Figures go to BENCHMARKS.md.

use dklik_screens::engine::LocalTime;
use dklik_screens::{Engine, EngineConfig, HiringOffer, Position, StopPoint};
use std::collections::HashMap;
use std::time::Instant;

/// A small deterministic generator (xorshift), so that runs compare.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct World {
    stops: Vec<StopPoint>,
    offers: Vec<HiringOffer>,
    /// Per vehicle, its positions in order.
    paths: Vec<Vec<(f64, f64)>>,
}

fn world(sites: usize, vehicles: usize, updates: usize) -> World {
    let mut r = Rng(0x5eed_d00d);
    // A 40 km × 40 km area around Dunkerque; a stop every ~300 m along 60 lines.
    let (lat0, lon0) = (50.85, 2.05);
    let (dlat, dlon) = (0.36, 0.57);
    let mut stops = Vec::new();
    for line in 0..60 {
        let (mut la, mut lo) = (lat0 + r.next() * dlat, lon0 + r.next() * dlon);
        let (ha, ho) = (r.next() - 0.5, r.next() - 0.5);
        for k in 0..50 {
            stops.push(StopPoint {
                id: format!("L{line}S{k}"),
                name: format!("L{line}S{k}"),
                lat: la,
                lon: lo,
            });
            la += ha * 0.005;
            lo += ho * 0.008;
        }
    }
    let offers = (0..sites)
        .map(|i| HiringOffer {
            offer_id: i as i64,
            code: format!("{i}"),
            title: format!("Offre {i}"),
            employer_id: (i / 3) as i64,
            employer: format!("E{}", i / 3),
            site_id: (i / 3) as i64,
            lat: lat0 + r.next() * dlat,
            lon: lon0 + r.next() * dlon,
        })
        .collect();
    let per = updates / vehicles.max(1);
    let paths = (0..vehicles)
        .map(|v| {
            // Each vehicle follows one line's stops back and forth, 8 updates between stops.
            let line = v % 60;
            let line_stops = &stops[line * 50..line * 50 + 50];
            (0..per)
                .map(|k| {
                    let seg = (k / 8) % 49;
                    let f = (k % 8) as f64 / 8.0;
                    let (a, b) = (&line_stops[seg], &line_stops[seg + 1]);
                    (a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f)
                })
                .collect()
        })
        .collect();
    World {
        stops,
        offers,
        paths,
    }
}

fn percentile(v: &mut [u64], p: f64) -> u64 {
    v.sort_unstable();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn dist_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = 111_195.0;
    let dx = (a.1 - b.1) * k * a.0.to_radians().cos();
    let dy = (a.0 - b.0) * k;
    (dx * dx + dy * dy).sqrt()
}

pub fn engine(sites: usize, vehicles: usize, updates: usize) {
    let w = world(sites, vehicles, updates);
    let day = LocalTime {
        day: 20261130,
        minute: 9 * 60,
    };
    let t0 = 1_800_000_000i64;
    let cfg = EngineConfig {
        max_speed_mps: 1e9,
        stale_after_s: i64::MAX / 4,
        future_tolerance_s: i64::MAX / 4,
        ..Default::default()
    };
    let mut engine = Engine::new(
        w.stops.clone(),
        HashMap::new(),
        w.offers.clone(),
        vec![],
        vec![],
        cfg,
    );
    let per = w.paths.first().map_or(0, Vec::len);
    let mut lat_ns = Vec::with_capacity(per * w.paths.len());
    let mut triggers = 0u64;
    // One Position per vehicle, moved in place: the loop measures the engine, not allocation.
    let mut positions: Vec<Position> = (0..w.paths.len())
        .map(|v| Position {
            vehicle: format!("v{v}"),
            trip_id: None,
            route_id: None,
            stop_id: None,
            lat: 0.0,
            lon: 0.0,
            timestamp: 0,
        })
        .collect();
    let start = Instant::now();
    for k in 0..per {
        for (path, p) in w.paths.iter().zip(positions.iter_mut()) {
            (p.lat, p.lon) = path[k];
            p.timestamp = t0 + k as i64 * 20;
            let s = Instant::now();
            if let Ok(Some(_)) = engine.update(p, t0 + k as i64 * 20, day) {
                triggers += 1;
            }
            lat_ns.push(s.elapsed().as_nanos() as u64);
        }
    }
    let total = start.elapsed().as_secs_f64();
    let n = lat_ns.len() as f64;
    let (p50, p99) = (percentile(&mut lat_ns, 0.5), percentile(&mut lat_ns, 0.99));
    println!("engine      : {:>10.0} updates/s  p50 {:>6.2} µs  p99 {:>6.2} µs  ({} updates, {} triggers)", n / total, p50 as f64 / 1000.0, p99 as f64 / 1000.0, n, triggers);

    // The same work by brute force: nearest stop by scanning every stop, then, when the stop
    // changes, the offers within 500 m by scanning every offer. It is much slower, so it runs
    // on the first tenth of the updates only (the rate is per update either way).
    let mut current: Vec<Option<usize>> = vec![None; w.paths.len()];
    let mut lat_ns = Vec::with_capacity(per * w.paths.len() / 10 + 1);
    let mut found = 0u64;
    let start = Instant::now();
    for k in 0..per.div_ceil(10) {
        for (v, path) in w.paths.iter().enumerate() {
            let s = Instant::now();
            let here = path[k];
            let mut best = (usize::MAX, f64::MAX);
            for (i, st) in w.stops.iter().enumerate() {
                let d = dist_m(here, (st.lat, st.lon));
                if d < best.1 {
                    best = (i, d);
                }
            }
            if best.1 <= 400.0 && current[v] != Some(best.0) {
                current[v] = Some(best.0);
                let stop = (w.stops[best.0].lat, w.stops[best.0].lon);
                found += w
                    .offers
                    .iter()
                    .filter(|o| dist_m(stop, (o.lat, o.lon)) <= 500.0)
                    .count() as u64;
            }
            lat_ns.push(s.elapsed().as_nanos() as u64);
        }
    }
    let total_b = start.elapsed().as_secs_f64();
    let nb = lat_ns.len() as f64;
    let (b50, b99) = (percentile(&mut lat_ns, 0.5), percentile(&mut lat_ns, 0.99));
    println!("brute force : {:>10.0} updates/s  p50 {:>6.2} µs  p99 {:>6.2} µs  ({} updates, {} offers found)", nb / total_b, b50 as f64 / 1000.0, b99 as f64 / 1000.0, nb, found);
    println!(
        "ratio       : engine is {:.1}× the brute-force rate",
        (n / total) / (nb / total_b)
    );
    println!(
        "data        : {} stops, {} sites with one offer each, {} vehicles",
        w.stops.len(),
        w.offers.len(),
        w.paths.len()
    );
}

/// The same kind of query in PostGIS: the sites within 500 m of each position, by `ST_DWithin`
/// over a GiST index, sent one at a time over loopback (as a server would).
pub async fn postgis(
    url: &str,
    sites: usize,
    vehicles: usize,
    queries: usize,
) -> anyhow::Result<()> {
    use sqlx::Connection;
    let w = world(sites, vehicles, queries.max(vehicles));
    let mut c = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut c)
        .await?;
    sqlx::query("DROP TABLE IF EXISTS bench_sites")
        .execute(&mut c)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_sites (id BIGINT PRIMARY KEY, geom geography(Point, 4326) NOT NULL)",
    )
    .execute(&mut c)
    .await?;
    for chunk in w.offers.chunks(1000) {
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Postgres>::new("INSERT INTO bench_sites (id, geom) ");
        qb.push_values(chunk, |mut b, o| {
            b.push_bind(o.offer_id)
                .push("ST_SetSRID(ST_MakePoint(")
                .push_bind_unseparated(o.lon)
                .push_unseparated(", ")
                .push_bind_unseparated(o.lat)
                .push_unseparated("), 4326)::geography");
        });
        qb.build().execute(&mut c).await?;
    }
    sqlx::query("CREATE INDEX bench_sites_geom ON bench_sites USING GIST (geom)")
        .execute(&mut c)
        .await?;
    sqlx::query("ANALYZE bench_sites").execute(&mut c).await?;
    let mut lat_ns = Vec::with_capacity(queries);
    let mut found = 0i64;
    let start = Instant::now();
    'outer: for k in 0.. {
        for path in &w.paths {
            if lat_ns.len() >= queries {
                break 'outer;
            }
            let Some(&(lat, lon)) = path.get(k) else {
                break 'outer;
            };
            let s = Instant::now();
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM bench_sites WHERE ST_DWithin(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, 500)",
            )
            .bind(lon)
            .bind(lat)
            .fetch_one(&mut c)
            .await?;
            found += n;
            lat_ns.push(s.elapsed().as_nanos() as u64);
        }
    }
    let total = start.elapsed().as_secs_f64();
    let n = lat_ns.len() as f64;
    let (p50, p99) = (percentile(&mut lat_ns, 0.5), percentile(&mut lat_ns, 0.99));
    println!("PostGIS     : {:>10.0} queries/s  p50 {:>6.2} µs  p99 {:>6.2} µs  ({} queries, {} sites found)", n / total, p50 as f64 / 1000.0, p99 as f64 / 1000.0, n, found);
    Ok(())
}

/// From a position POST to the new slides arriving at `n` screen pages connected by SSE, on
/// loopback, with the real server and the demo data.
pub async fn screens(n: usize, rounds: usize) -> anyhow::Result<()> {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (store, accounts) = crate::demo::prepare(&db, "127.0.0.1:0").await?;
    // Positions come faster than buses move: the jump filter is off for the benchmark.
    let cfg = dklik_screens::EngineConfig {
        max_speed_mps: 1e9,
        per_vehicle_interval_s: 0,
        per_vehicle_day_cap: u32::MAX,
        per_day_cap: u32::MAX,
        ..Default::default()
    };
    let hub = Arc::new(dklik_app::screens::ScreenHub::load(store.as_ref(), cfg, 10).await?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let state = dklik_web::AppState::new(store.clone(), &base, 24, hub);
    tokio::spawn(dklik_web::serve(state, listener));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for _ in 0..n {
        let (tx, ready_tx) = (tx.clone(), ready_tx.clone());
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        tokio::spawn(async move {
            if s.write_all(b"GET /ecran/bench/flux HTTP/1.1\r\nHost: bench\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut buf = vec![0u8; 64 * 1024];
            let mut seen_headers = false;
            let mut carry = Vec::new();
            loop {
                let Ok(k) = s.read(&mut buf).await else {
                    return;
                };
                if k == 0 {
                    return;
                }
                carry.extend_from_slice(&buf[..k]);
                if !seen_headers && carry.windows(4).any(|w| w == b"\r\n\r\n") {
                    seen_headers = true;
                    let _ = ready_tx.send(());
                }
                let needle = b"event: slides";
                while let Some(p) = carry.windows(needle.len()).position(|w| w == needle) {
                    let _ = tx.send(Instant::now());
                    carry.drain(..p + needle.len());
                }
                if carry.len() > needle.len() {
                    let keep = carry.len() - needle.len();
                    carry.drain(..keep);
                }
            }
        });
    }
    for _ in 0..n {
        ready_rx.recv().await;
    }
    // Two stops of the demo network with offers near each, visited in turn.
    let stops = [(51.0301, 2.2691), (51.0470, 2.3560)];
    let mut lat_ms = Vec::with_capacity(n * rounds);
    for r in 0..rounds {
        let (lat, lon) = stops[r % 2];
        let body = format!(
            r#"{{"vehicle":"bench","lat":{lat},"lon":{lon},"timestamp":{}}}"#,
            dklik_app::unix_now() + r as i64
        );
        let t0 = Instant::now();
        let (status, answer) = crate::replay::post(
            &base,
            "/api/v1/positions",
            &accounts.feed_token,
            "application/json",
            body.as_bytes(),
        )
        .await?;
        anyhow::ensure!(
            status == 200 && answer.contains("\"screens_changed\":1"),
            "position not taken: {status} {answer}"
        );
        for _ in 0..n {
            let Some(at) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
                .await
                .ok()
                .flatten()
            else {
                anyhow::bail!("a screen did not get the slides within 10 s");
            };
            lat_ms.push(at.duration_since(t0).as_micros() as u64);
        }
    }
    let (p50, p99) = (percentile(&mut lat_ms, 0.5), percentile(&mut lat_ms, 0.99));
    let max = lat_ms.iter().max().copied().unwrap_or(0);
    println!("screens     : {n} SSE connections, {rounds} position changes; POST → slides at each screen: p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms", p50 as f64 / 1000.0, p99 as f64 / 1000.0, max as f64 / 1000.0);
    Ok(())
}

/// Suggestions from sentences on the reference set, with the full ROME release.
pub fn suggest(rome: &std::path::Path, gold: &std::path::Path, misses: bool) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let r = match dklik_imports::rome::read_dir(rome) {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e}"),
    };
    let index = dklik_domain::suggest::SkillIndex::new(&r.items, &r.appellations, &r.job_items);
    let built = t0.elapsed();
    let text =
        std::fs::read_to_string(gold).map_err(|e| anyhow::anyhow!("{} : {e}", gold.display()))?;
    let set = dklik_domain::suggest::read_gold(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t1 = Instant::now();
    let q = dklik_domain::suggest::evaluate(&index, &set);
    let per = t1.elapsed() / set.len().max(1) as u32;
    println!(
        "{} phrases, {} éléments indexés (index construit en {:.2?}) : Recall@5 = {:.3}, MRR = {:.3}, {:.2?} par phrase",
        q.sentences,
        index.len(),
        built,
        q.recall_at_5,
        q.mrr,
        per
    );
    // The same without the job titles (appellations), to see what they bring.
    let labels_only = dklik_domain::suggest::SkillIndex::new(&r.items, &[], &[]);
    let b = dklik_domain::suggest::evaluate(&labels_only, &set);
    println!(
        "sans les intitulés de métier (libellés et définitions seuls) : Recall@5 = {:.3}, MRR = {:.3}",
        b.recall_at_5, b.mrr
    );
    if misses {
        for m in &q.misses {
            println!("manquée : {m}");
            for s in index.suggest(m, 3) {
                println!("    {:.2} {} {} ({})", s.score, s.code, s.label, s.reason);
            }
        }
    }
    Ok(())
}

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n.max(1) as f64) as usize).min(n.max(1) - 1)
    }
}

/// Item facts read from a ROME release.
struct RomeFacts {
    macro_of: std::collections::HashMap<i64, i64>,
    spread: std::collections::HashMap<i64, f64>,
}

impl dklik_domain::matching::ItemFacts for RomeFacts {
    fn macro_of(&self, item: dklik_domain::OgrCode) -> Option<dklik_domain::OgrCode> {
        self.macro_of
            .get(&item.0)
            .map(|m| dklik_domain::OgrCode(*m))
    }
    fn spread(&self, item: dklik_domain::OgrCode) -> f64 {
        self.spread.get(&item.0).copied().unwrap_or(0.0)
    }
}

fn percentile_f(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Journeys on the demo network: one earliest-arrival query, one "arrive before T" over an
/// hour's window, and the whole reachability table (every neighbourhood × every employer site
/// × every shift start of the demo offers).
pub fn journeys(queries: usize) -> anyhow::Result<()> {
    use dklik_transit::journey::{Timetable, WalkParams};
    let feed = crate::demo::feed()?;
    let t0 = Instant::now();
    let tt = Timetable::for_day(&feed, 20261130, 0, WalkParams::default());
    println!(
        "Horaires d'un lundi : {} arrêts, construits en {:.2?}",
        tt.stops.len(),
        t0.elapsed()
    );
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let stops: Vec<(f64, f64)> = tt.stops.iter().map(|s| (s.lat, s.lon)).collect();
    let mut one = Vec::with_capacity(queries);
    let mut by = Vec::with_capacity(queries);
    for _ in 0..queries {
        let a = stops[rng.below(stops.len())];
        let b = stops[rng.below(stops.len())];
        let t = 5 * 3600 + rng.below(16 * 3600) as u32;
        let s = Instant::now();
        std::hint::black_box(tt.earliest_arrival(a, b, t, 4));
        one.push(s.elapsed().as_secs_f64() * 1e3);
        let s = Instant::now();
        std::hint::black_box(tt.arrive_by(a, b, t, 3600, 4));
        by.push(s.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "Un trajet au plus tôt : p50 {:.3} ms, p95 {:.3} ms ({} requêtes)",
        percentile_f(&mut one, 0.5),
        percentile_f(&mut one, 0.95),
        queries
    );
    println!(
        "« Arriver avant T » sur une heure : p50 {:.3} ms, p95 {:.3} ms",
        percentile_f(&mut by, 0.5),
        percentile_f(&mut by, 0.95)
    );
    // The reachability table: neighbourhoods of the demo, the demo offers' sites and shifts.
    let raw = match dklik_imports::offers::read("demo-offres.csv", crate::demo::DEMO_OFFERS) {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e}"),
    };
    let mut sites: Vec<(f64, f64)> = Vec::new();
    let mut starts: Vec<u32> = Vec::new();
    for o in &raw {
        let p = (o.coordinates.lat(), o.coordinates.lon());
        if !sites
            .iter()
            .any(|s| (s.0 - p.0).abs() < 1e-6 && (s.1 - p.1).abs() < 1e-6)
        {
            sites.push(p);
        }
        for s in &o.input.shifts {
            let t = u32::from(s.start.minutes()) * 60;
            if !starts.contains(&t) {
                starts.push(t);
            }
        }
    }
    let hoods = crate::demo::NEIGHBOURHOODS;
    let t0 = Instant::now();
    let mut reachable = 0usize;
    let mut total = 0usize;
    for h in hoods {
        for s in &sites {
            for t in &starts {
                total += 1;
                reachable += usize::from(tt.arrive_by((h.4, h.5), *s, *t, 3600, 4).is_some());
            }
        }
    }
    println!(
        "Tableau d'accessibilité : {} quartiers × {} sites × {} heures d'embauche = {} trajets en {:.2?} ({} possibles)",
        hoods.len(),
        sites.len(),
        starts.len(),
        total,
        t0.elapsed(),
        reachable
    );
    Ok(())
}

/// Generated people and posts drawn from a ROME release, for the ranking benchmark.
struct RankWorld {
    facts: RomeFacts,
    /// Per person: (item, level, evidence index).
    people: Vec<Vec<(i64, u8, u8)>>,
    posts: Vec<Vec<dklik_domain::RequiredItem>>,
}

fn rank_world(rome: &std::path::Path, people: usize, posts: usize) -> anyhow::Result<RankWorld> {
    use dklik_domain::{Importance, ItemKind, Level, OgrCode, RequiredItem};
    use std::collections::HashMap;
    let r = match dklik_imports::rome::read_dir(rome) {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e}"),
    };
    let kinds: HashMap<i64, (ItemKind, Option<i64>)> = r
        .items
        .iter()
        .map(|i| (i.code.0, (i.kind, i.macro_code.map(|m| m.0))))
        .collect();
    let mut sheets: HashMap<String, Vec<(i64, bool)>> = HashMap::new();
    for ji in &r.job_items {
        if kinds
            .get(&ji.item.0)
            .is_some_and(|(k, _)| *k != ItemKind::Context && *k != ItemKind::MacroCompetence)
        {
            sheets
                .entry(ji.rome.as_str().to_string())
                .or_default()
                .push((ji.item.0, ji.core));
        }
    }
    let mut codes: Vec<String> = sheets.keys().cloned().collect();
    codes.sort();
    let mut count: HashMap<i64, f64> = HashMap::new();
    for items in sheets.values() {
        for (i, _) in items {
            *count.entry(*i).or_default() += 1.0;
        }
    }
    let total = codes.len() as f64;
    let facts = RomeFacts {
        macro_of: kinds
            .iter()
            .filter_map(|(c, (_, m))| m.map(|m| (*c, m)))
            .collect(),
        spread: count.iter().map(|(c, n)| (*c, n / total)).collect(),
    };
    let mut rng = Rng(0xC0FF_EE12_3456_789A);
    let people = (0..people)
        .map(|_| {
            let sheet = &sheets[&codes[rng.below(codes.len())]];
            let mut v: Vec<(i64, u8, u8)> = Vec::new();
            for (i, _) in sheet {
                if rng.below(10) < 4 {
                    v.push((*i, 1 + rng.below(4) as u8, rng.below(5) as u8));
                }
            }
            for _ in 0..3 {
                let other = &sheets[&codes[rng.below(codes.len())]];
                v.push((other[rng.below(other.len())].0, 2, 1));
            }
            v.sort();
            v.dedup_by_key(|x| x.0);
            v
        })
        .collect();
    let posts = (0..posts)
        .map(|_| {
            sheets[&codes[rng.below(codes.len())]]
                .iter()
                .map(|(i, core)| RequiredItem {
                    code: OgrCode(*i),
                    kind: kinds[i].0,
                    label: format!("élément {i}"),
                    level: Level::new(2 + rng.below(2) as u8).unwrap_or(Level::DEFAULT),
                    importance: if *core {
                        Importance::Must
                    } else {
                        Importance::Nice
                    },
                })
                .collect()
        })
        .collect();
    Ok(RankWorld {
        facts,
        people,
        posts,
    })
}

fn skills_of(v: &[(i64, u8, u8)]) -> Vec<dklik_domain::PersonSkill> {
    v.iter()
        .map(|(i, l, e)| dklik_domain::PersonSkill {
            item: dklik_domain::OgrCode(*i),
            label: String::new(),
            level: dklik_domain::Level::new(*l).unwrap_or(dklik_domain::Level::DEFAULT),
            evidence: dklik_domain::Evidence::ALL[*e as usize],
            endorsed_by: vec![],
            pieces: vec![],
        })
        .collect()
}

/// Ranking people for a post (top 50 with explanations) and offers for a person; optionally
/// the same people ranking as SQL on PostgreSQL, side by side.
pub async fn ranking(
    rome: &std::path::Path,
    people: usize,
    posts: usize,
    offers: usize,
    postgres: Option<String>,
) -> anyhow::Result<()> {
    use dklik_domain::matching::{score, CompiledNeeds, PeopleIndex};
    let t0 = Instant::now();
    let w = rank_world(rome, people, posts.max(offers))?;
    let mut index = PeopleIndex::default();
    for p in &w.people {
        index.push(&skills_of(p), &w.facts);
    }
    println!(
        "{} personnes ({:.1} éléments en moyenne), {} postes, générées et indexées en {:.2?}",
        people,
        w.people.iter().map(Vec::len).sum::<usize>() as f64 / people.max(1) as f64,
        posts,
        t0.elapsed()
    );
    // Hard filters: each person lives in a demo neighbourhood and works some days and hours;
    // each post is at a demo offer's site with one of its shifts. Per post, the bus from each
    // neighbourhood at shift time (RAPTOR on the demo network) then a mask over the people.
    let feed = crate::demo::feed()?;
    let tt = dklik_transit::journey::Timetable::for_day(
        &feed,
        20261130,
        0,
        dklik_transit::journey::WalkParams::default(),
    );
    let raw = match dklik_imports::offers::read("demo-offres.csv", crate::demo::DEMO_OFFERS) {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e}"),
    };
    let shifts: Vec<((f64, f64), dklik_domain::Shift)> = raw
        .iter()
        .flat_map(|o| {
            let site = (o.coordinates.lat(), o.coordinates.lon());
            o.input.shifts.iter().map(move |s| (site, *s))
        })
        .collect();
    let hoods = crate::demo::NEIGHBOURHOODS;
    let mut rng = Rng(0x005E_ED0F_FA57);
    let attrs: Vec<(usize, u8, i64)> = (0..people)
        .map(|_| {
            let days = 0b001_1111u8 & !(1 << rng.below(5)) | (rng.below(3) as u8) << 5;
            let periods = 1 + rng.below(15) as i64;
            (rng.below(hoods.len()), days.max(1), periods)
        })
        .collect();
    let mut scratch = Vec::new();
    let mut times = Vec::new();
    let mut kept = 0usize;
    for (n, needs) in w.posts.iter().take(posts).enumerate() {
        let s = Instant::now();
        let (site, shift) = shifts[n % shifts.len()];
        let start = u32::from(shift.start.minutes()) * 60;
        let reach: Vec<bool> = hoods
            .iter()
            .map(|h| tt.arrive_by((h.4, h.5), site, start, 3600, 4).is_some())
            .collect();
        let bit = dklik_domain::ShiftPeriod::of(shift.start).bit();
        let keep = |p: u32| {
            let (h, days, periods) = attrs[p as usize];
            reach[h]
                && (0u8..7).any(|d| shift.days.contains(d) && days & (1 << d) != 0)
                && periods & bit != 0
        };
        let compiled = CompiledNeeds::new(needs, &w.facts);
        let top = index.top_where(&compiled, 50, &mut scratch, &keep);
        kept += top.len();
        // The explanations of the 50 first, with the explained score.
        let explained: Vec<_> = top
            .iter()
            .map(|(p, _)| score(&skills_of(&w.people[*p as usize]), needs, &w.facts, vec![]))
            .collect();
        std::hint::black_box(explained);
        times.push(s.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "Filtres durs compris (jours, horaires, bus à l'heure d'embauche depuis le quartier) ; {} personnes retenues en moyenne dans les 50",
        kept / posts.max(1)
    );
    println!(
        "Classer {} personnes pour un poste, 50 premières expliquées : p50 {:.2} ms, p95 {:.2} ms (un fil)",
        people,
        percentile_f(&mut times.clone(), 0.5),
        percentile_f(&mut times, 0.95)
    );
    // Offers for one person: each offer's needs prepared once, the person's skills merged in.
    // Twice: offers as long as whole job sheets (66 items on average), and offers as they are
    // written (the sheet's core items as musts and 4 others: 10 to 25 items).
    for (label, shape) in [("fiches entières", false), ("comme des offres", true)] {
        let mut set = dklik_domain::matching::OfferSet::default();
        let compiled: Vec<CompiledNeeds> = w
            .posts
            .iter()
            .cycle()
            .take(offers)
            .map(|n| {
                if shape {
                    let mut nice = 0;
                    let v: Vec<dklik_domain::RequiredItem> = n
                        .iter()
                        .filter(|r| {
                            r.importance == dklik_domain::Importance::Must || {
                                nice += 1;
                                nice <= 4
                            }
                        })
                        .cloned()
                        .collect();
                    CompiledNeeds::new(&v, &w.facts)
                } else {
                    CompiledNeeds::new(n, &w.facts)
                }
            })
            .collect();
        for c in &compiled {
            set.push(c);
        }
        let mut times = Vec::new();
        let mut vals = Vec::new();
        for p in w.people.iter().take(50) {
            let s = Instant::now();
            let one = dklik_domain::matching::CompiledPerson::new(&skills_of(p), &w.facts);
            set.values(&one, &mut vals);
            std::hint::black_box(&vals);
            times.push(s.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "Classer {} offres pour une personne ({label}) : p50 {:.2} ms, p95 {:.2} ms",
            offers,
            percentile_f(&mut times.clone(), 0.5),
            percentile_f(&mut times, 0.95)
        );
    }
    if let Some(url) = postgres {
        ranking_sql(&url, &w, posts).await?;
    }
    Ok(())
}

/// The same ranking written as SQL on PostgreSQL (one table of people's items).
async fn ranking_sql(url: &str, w: &RankWorld, posts: usize) -> anyhow::Result<()> {
    use dklik_domain::matching::{evidence_weight, need_weight, rarity, ItemFacts, SIBLING_CREDIT};
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await?;
    sqlx::query("DROP TABLE IF EXISTS bench_person_items")
        .execute(&mut c)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_person_items (person INTEGER NOT NULL, item BIGINT NOT NULL, \
         level DOUBLE PRECISION NOT NULL, ev DOUBLE PRECISION NOT NULL, macro BIGINT NOT NULL, \
         r DOUBLE PRECISION NOT NULL)",
    )
    .execute(&mut c)
    .await?;
    let t0 = Instant::now();
    let rows: Vec<(i32, i64, f64, f64, i64, f64)> = w
        .people
        .iter()
        .enumerate()
        .flat_map(|(p, v)| {
            v.iter().map(move |(i, l, e)| {
                (
                    p as i32,
                    *i,
                    f64::from(*l),
                    evidence_weight(dklik_domain::Evidence::ALL[*e as usize], false),
                    w.facts
                        .macro_of(dklik_domain::OgrCode(*i))
                        .map(|m| m.0)
                        .unwrap_or(0),
                    rarity(w.facts.spread(dklik_domain::OgrCode(*i))),
                )
            })
        })
        .collect();
    for chunk in rows.chunks(5000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "INSERT INTO bench_person_items (person, item, level, ev, macro, r) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5);
        });
        qb.build().execute(&mut c).await?;
    }
    sqlx::query("CREATE INDEX ON bench_person_items (item)")
        .execute(&mut c)
        .await?;
    sqlx::query("CREATE INDEX ON bench_person_items (macro)")
        .execute(&mut c)
        .await?;
    sqlx::query("CREATE INDEX ON bench_person_items (person, item)")
        .execute(&mut c)
        .await?;
    sqlx::query("ANALYZE bench_person_items")
        .execute(&mut c)
        .await?;
    println!(
        "PostgreSQL : {} lignes chargées et indexées en {:.2?}",
        rows.len(),
        t0.elapsed()
    );
    let mut times = Vec::new();
    for needs in w.posts.iter().take(posts) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "WITH needs (item, mac, lvl, w, weight) AS (",
        );
        qb.push_values(needs, |mut b, r| {
            let spread = w.facts.spread(r.code);
            let weight = need_weight(r.importance, spread);
            b.push_bind(r.code.0)
                .push_bind(w.facts.macro_of(r.code).map(|m| m.0).unwrap_or(0))
                .push_bind(f64::from(r.level.get()))
                .push_bind(weight)
                .push_bind(weight * rarity(spread));
        });
        qb.push(
            "), total AS (SELECT SQRT(SUM(w * w)) AS t FROM needs), \
             norms AS (SELECT person, SQRT(SUM(ev * r * ev * r)) AS pn FROM bench_person_items GROUP BY person), \
             matched AS (SELECT p.person, n.item, n.weight * LEAST(1.0, p.level / n.lvl) * p.ev AS c \
               FROM needs n JOIN bench_person_items p ON p.item = n.item), \
             sib AS (SELECT p.person, n.item, MAX($SIB * n.weight * LEAST(1.0, p.level / n.lvl) * p.ev) AS c \
               FROM needs n JOIN bench_person_items p ON p.macro = n.mac AND n.mac <> 0 \
               WHERE NOT EXISTS (SELECT 1 FROM bench_person_items x WHERE x.person = p.person AND x.item = n.item) \
               GROUP BY p.person, n.item) \
             SELECT u.person, LEAST(1.0, SUM(c) / ((SELECT t FROM total) * MAX(pn))) AS v \
               FROM (SELECT * FROM matched UNION ALL SELECT * FROM sib) u JOIN norms USING (person) \
             GROUP BY u.person ORDER BY v DESC, u.person LIMIT 50"
                .replace("$SIB", &SIBLING_CREDIT.to_string()),
        );
        let s = Instant::now();
        let top: Vec<(i32, f64)> = qb.build_query_as().fetch_all(&mut c).await?;
        std::hint::black_box(top);
        times.push(s.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "Le même classement en SQL sur PostgreSQL (50 premiers, sans les explications) : p50 {:.1} ms, p95 {:.1} ms",
        percentile_f(&mut times.clone(), 0.5),
        percentile_f(&mut times, 0.95)
    );
    sqlx::query("DROP TABLE bench_person_items")
        .execute(&mut c)
        .await?;
    Ok(())
}

/// Impact figures on generated paths: the time to compute every funnel breakdown, reach,
/// OrientaKlik and to write each export, with the facts already loaded.
pub fn impact(people: usize, steps: usize) -> anyhow::Result<()> {
    use dklik_app::impact::{export, export_names, Report, ReportParams};
    use dklik_domain::impact::{
        Dimension, DisplayCount, ImpactData, OfferFacts, OrientationFact, PathEvent, PersonFacts,
        Stage, AGE_BANDS, CHANNELS, GENDERS,
    };
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let params = ReportParams::parse("2026-01-01", "2026-12-31", "", dklik_app::today_paris())
        .map_err(|e| anyhow::anyhow!("{:?}", e.errors))?;
    let p = params.period();
    let span = (p.to - p.from) as usize;
    let mut data = ImpactData::default();
    for o in (0..500i64).map(dklik_domain::OfferId) {
        data.offers.insert(
            o,
            OfferFacts {
                id: o,
                employer: format!("Entreprise {}", o.0 % 60),
                rome: format!("{}{:04}", (b'A' + (o.0 % 14) as u8) as char, 1000 + o.0),
            },
        );
    }
    let funnel = [
        Stage::Interest,
        Stage::Contacted,
        Stage::Orientation,
        Stage::OrientationPresent,
        Stage::Test,
        Stage::Introduction,
        Stage::Interview,
        Stage::Hire,
    ];
    let mut id = 0i64;
    for person in (0..people as i64).map(dklik_domain::PersonId) {
        data.people.insert(
            person,
            PersonFacts {
                id: person,
                neighbourhood: Some(format!("Quartier {}", rng.below(40))),
                qpv: Some(rng.below(2) == 0),
                age_band: Some(AGE_BANDS[rng.below(4)].0.into()),
                gender: Some(GENDERS[rng.below(3)].0.into()),
            },
        );
        let channel = CHANNELS[rng.below(10)].0.to_string();
        let mut at = p.from - 30 * 86_400 + rng.below(span) as i64;
        let offer = dklik_domain::OfferId(rng.below(500) as i64);
        let n = 1 + rng.below(2 * steps);
        for k in 0..n {
            id += 1;
            let stage = if k < funnel.len() {
                Some(funnel[k])
            } else {
                None
            };
            data.events.push(PathEvent {
                id,
                person_id: person,
                at,
                stage,
                channel: channel.clone(),
                offer_id: Some(offer),
                vehicle: (channel == "ecran").then(|| format!("bus-{}", rng.below(60))),
                line: (channel == "ecran").then(|| format!("{}", 1 + rng.below(10))),
                stop: (channel == "ecran").then(|| format!("Arrêt {}", rng.below(300))),
            });
            at += 3600 * (1 + rng.below(24 * 10)) as i64;
        }
        if rng.below(5) == 0 {
            let service = rng.below(40);
            data.orientation.push(OrientationFact {
                service_id: service as i64,
                service: format!("Atelier {service}"),
                session_at: p.from + rng.below(span) as i64,
                person_id: person,
                status: ["registered", "present", "absent"][rng.below(3)].into(),
                before: Some(1.0 + rng.below(4) as f64),
                after: Some(1.0 + rng.below(5) as f64),
            });
        }
    }
    for o in (0..500).map(dklik_domain::OfferId) {
        for l in 0..10 {
            data.displays.push(DisplayCount {
                offer_id: Some(o),
                line: format!("{}", 1 + l),
                stop: format!("Arrêt {}", rng.below(300)),
                impressions: 100 + rng.below(1000) as u64,
                scans: rng.below(20) as u64,
            });
        }
    }
    let events = data.events.len();
    let report = Report::new(params, data);
    println!(
        "{people} personnes, {events} étapes, {} lignes d'affichage :",
        report.data.displays.len()
    );
    println!("| calcul | temps |");
    println!("|---|---|");
    let now = time::OffsetDateTime::now_utc();
    let mut total = std::time::Duration::ZERO;
    for d in Dimension::ALL {
        let t0 = Instant::now();
        let t = report.funnel(d);
        let e = t0.elapsed();
        total += e;
        println!(
            "| entonnoir par {} ({} lignes) | {:.0} ms |",
            d.as_str(),
            t.rows.len(),
            e.as_secs_f64() * 1e3
        );
    }
    for name in ["portee", "orientation"] {
        let t0 = Instant::now();
        let csv = export(&report, name, now).unwrap_or_default();
        let e = t0.elapsed();
        total += e;
        println!(
            "| export {name}.csv ({} lignes) | {:.0} ms |",
            csv.lines().count(),
            e.as_secs_f64() * 1e3
        );
    }
    let t0 = Instant::now();
    let csv = report.people_csv("une clé de mesure assez longue", now);
    let e = t0.elapsed();
    total += e;
    println!(
        "| export personnes.csv ({} lignes) | {:.0} ms |",
        csv.lines().count(),
        e.as_secs_f64() * 1e3
    );
    let t0 = Instant::now();
    for name in export_names() {
        let _ = export(&report, &name, now);
    }
    println!(
        "| les {} exports agrégés | {:.0} ms |",
        export_names().len(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "| total des calculs ci-dessus | {:.0} ms |",
        total.as_secs_f64() * 1e3
    );
    Ok(())
}

/// One protobuf field of wire type 2 (bytes), and a varint field.
fn pb_bytes(out: &mut Vec<u8>, num: u64, b: &[u8]) {
    pb_varint(out, (num << 3) | 2);
    pb_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}
fn pb_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `dklik bench feed`: the time to take in one operator's feed of `vehicles` vehicles padded
/// with trip updates to `bytes` bytes (as operators publish them in one FeedMessage): decoding
/// alone, then decoding and every position through the trigger engine (10,000 sites); and the
/// same vehicles as one SIRI-VM XML delivery. Best and median of `rounds` runs.
pub fn feed(vehicles: usize, bytes: usize, rounds: usize) {
    use dklik_transit::realtime::{gtfs_rt, siri, VehicleReport};
    let rounds = rounds.max(1);
    let w = world(10_000, vehicles, vehicles);
    let t0 = 1_800_000_000i64;
    let reports: Vec<VehicleReport> = w
        .paths
        .iter()
        .enumerate()
        .map(|(v, path)| VehicleReport {
            vehicle: format!("DKB-{v:05}"),
            trip_id: Some(format!("2026-11-30:L{}:{v:05}", v % 60)),
            route_id: Some(format!("L{}", v % 60)),
            stop_id: Some(format!("L{}S{}", v % 60, v % 50)),
            lat: path.first().map_or(51.0, |p| p.0),
            lon: path.first().map_or(2.3, |p| p.1),
            timestamp: Some(t0 - (v % 30) as i64),
        })
        .collect();
    let mut pb = gtfs_rt::encode(&reports, t0 as u64);
    // Trip updates after the vehicles until the feed has its size: one per trip, each with the
    // stop times of its next stops.
    let mut k = 0usize;
    while pb.len() < bytes {
        let mut trip = Vec::new();
        pb_bytes(
            &mut trip,
            1,
            format!("2026-11-30:L{}:{k:05}", k % 60).as_bytes(),
        );
        let mut update = Vec::new();
        pb_bytes(&mut update, 1, &trip);
        for s in 0..12u64 {
            let mut event = Vec::new();
            pb_varint(&mut event, 2 << 3);
            pb_varint(&mut event, t0 as u64 + s * 90);
            let mut stu = Vec::new();
            pb_varint(&mut stu, 1 << 3);
            pb_varint(&mut stu, s + 1);
            pb_bytes(&mut stu, 2, &event);
            pb_bytes(&mut stu, 4, format!("L{}S{s}", k % 60).as_bytes());
            pb_bytes(&mut update, 2, &stu);
        }
        let mut entity = Vec::new();
        pb_bytes(&mut entity, 1, format!("tu-{k}").as_bytes());
        pb_bytes(&mut entity, 3, &update);
        pb_bytes(&mut pb, 2, &entity);
        k += 1;
    }
    let cfg = EngineConfig {
        stale_after_s: i64::MAX / 4,
        future_tolerance_s: i64::MAX / 4,
        ..Default::default()
    };
    let day = LocalTime {
        day: 20261130,
        minute: 9 * 60,
    };
    let mut decode_ms = Vec::new();
    let mut take_ms = Vec::new();
    let mut accepted = 0usize;
    for _ in 0..rounds {
        let s = Instant::now();
        let d = gtfs_rt::decode(&pb).expect("the generated feed decodes");
        decode_ms.push(s.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(d.reports.len(), vehicles);
        drop(d);
        let mut engine = Engine::new(
            w.stops.clone(),
            HashMap::new(),
            w.offers.clone(),
            vec![],
            vec![],
            cfg.clone(),
        );
        let s = Instant::now();
        let d = gtfs_rt::decode(&pb).expect("decodes");
        let positions = dklik_app::screens::positions_of(d.reports, t0);
        accepted = positions
            .iter()
            .filter(|p| engine.update(p, t0, day).is_ok())
            .count();
        take_ms.push(s.elapsed().as_secs_f64() * 1000.0);
    }
    let mut xml = String::with_capacity(vehicles * 600);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><Siri xmlns="http://www.siri.org.uk/siri" version="2.0"><ServiceDelivery><ResponseTimestamp>2026-11-30T09:00:00+01:00</ResponseTimestamp><VehicleMonitoringDelivery version="2.0">"#);
    for r in &reports {
        xml.push_str(&format!(
            "<VehicleActivity><RecordedAtTime>2026-11-30T09:00:00+01:00</RecordedAtTime><MonitoredVehicleJourney><LineRef>{}</LineRef><FramedVehicleJourneyRef><DataFrameRef>2026-11-30</DataFrameRef><DatedVehicleJourneyRef>{}</DatedVehicleJourneyRef></FramedVehicleJourneyRef><VehicleLocation><Longitude>{:.6}</Longitude><Latitude>{:.6}</Latitude></VehicleLocation><VehicleRef>{}</VehicleRef><MonitoredCall><StopPointRef>{}</StopPointRef></MonitoredCall></MonitoredVehicleJourney></VehicleActivity>",
            r.route_id.as_deref().unwrap_or(""),
            r.trip_id.as_deref().unwrap_or(""),
            r.lon,
            r.lat,
            r.vehicle,
            r.stop_id.as_deref().unwrap_or("")
        ));
    }
    xml.push_str("</VehicleMonitoringDelivery></ServiceDelivery></Siri>");
    let mut siri_ms = Vec::new();
    for _ in 0..rounds {
        let s = Instant::now();
        let d = siri::decode(xml.as_bytes()).expect("the generated delivery decodes");
        siri_ms.push(s.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(d.reports.len(), vehicles);
    }
    let show = |name: &str, v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        println!(
            "{name:<36}: best {:>7.1} ms  median {:>7.1} ms",
            v[0],
            v[v.len() / 2]
        );
    };
    println!(
        "GTFS-realtime feed: {:.1} MB, {vehicles} vehicles, {k} trip updates; {rounds} rounds",
        pb.len() as f64 / 1e6
    );
    show("decode", &mut decode_ms);
    show("decode + engine (10,000 sites)", &mut take_ms);
    println!("  ({accepted} of {vehicles} positions accepted by the engine)");
    println!(
        "SIRI-VM XML delivery: {:.1} MB, {vehicles} vehicles",
        xml.len() as f64 / 1e6
    );
    show("decode", &mut siri_ms);
}

/// Resident memory of this process, in MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |k| k / 1024.0)
}

/// `dklik bench index`: reading the published offers alone, then the whole index rebuild (as a
/// server's restart or a change does), `rounds` times; the memory before and with the index.
pub async fn index(
    store: &std::sync::Arc<dyn dklik_app::Store>,
    rounds: usize,
) -> anyhow::Result<()> {
    let before = rss_mib();
    let index = dklik_app::search::OfferIndex::default();
    let mut read = Vec::new();
    let mut whole = Vec::new();
    let mut n = 0;
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        n = store.published_offers(true).await?.len();
        read.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        index.refresh(store.as_ref(), true).await?;
        whole.push(t.elapsed().as_secs_f64());
    }
    read.sort_by(f64::total_cmp);
    whole.sort_by(f64::total_cmp);
    println!("{n} published offers; {} rounds", read.len());
    println!(
        "read the offers with their items : best {:.2} s  median {:.2} s",
        read[0],
        read[read.len() / 2]
    );
    println!(
        "whole index rebuild              : best {:.2} s  median {:.2} s",
        whole[0],
        whole[whole.len() / 2]
    );
    println!(
        "memory: {:.0} MiB before, {:.0} MiB with the index",
        before,
        rss_mib()
    );
    Ok(())
}

/// `dklik bench staff`: fills the database up to `people` people (half with an advisor's record,
/// half from call-back requests, each of those with two requests: `people` requests in all),
/// then times the staff's lists: building them in memory, and searches and pages from memory
/// beside the same through SQL.
pub async fn staff(
    store: &std::sync::Arc<dyn dklik_app::Store>,
    people: usize,
    rounds: usize,
    fill_only: bool,
    parallel: usize,
    postgres: Option<&str>,
) -> anyhow::Result<()> {
    use dklik_domain::interest::{Channel, InterestForm, NewInterest};
    const FIRST: [&str; 12] = [
        "Inès", "Karim", "Léa", "Mehdi", "Sarah", "Kevin", "Chloé", "Yanis", "Manon", "Nadia",
        "Thomas", "Océane",
    ];
    const LAST: [&str; 10] = [
        "Benali",
        "Dupont",
        "Lefebvre",
        "Martin",
        "Vandenbussche",
        "Dewaele",
        "Bouchaïb",
        "Leclercq",
        "Haddad",
        "Vermeersch",
    ];
    const COMMUNES: [&str; 6] = [
        "Dunkerque",
        "Grande-Synthe",
        "Gravelines",
        "Coudekerque-Branche",
        "Loon-Plage",
        "Saint-Pol-sur-Mer",
    ];
    let have = store.people_version().await?.0.max(0) as usize;
    let start = std::time::Instant::now();
    let t0 = dklik_app::unix_now() - 400 * 86_400;
    let first_day = time::macros::date!(2026 - 11 - 01);
    let mut tasks = tokio::task::JoinSet::new();
    let mut made = 0usize;
    for i in have..people {
        let store = store.clone();
        let phone = format!(
            "06 {:02} {:02} {:02} {:02}",
            (i / 1_000_000) % 100 + 10,
            (i / 10_000) % 100,
            (i / 100) % 100,
            i % 100
        );
        let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
        let first = first.to_string();
        let commune = COMMUNES[i % COMMUNES.len()];
        let at = t0 + (i as i64 * 337) % (400 * 86_400);
        tasks.spawn(async move {
            if i % 2 == 0 {
                let p = dklik_domain::PersonForm {
                    prenom: first,
                    nom: format!("{last}-{}", i % 500),
                    telephone: phone,
                    commune: commune.into(),
                    mobilite: vec!["bus".into()],
                    ..Default::default()
                }
                .validate(|_| None)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                store.create_person(&p, at).await?;
            } else {
                let form = InterestForm {
                    first_name: first,
                    phone,
                    email: String::new(),
                    best_time: "indifferent".into(),
                    consent: true,
                };
                let n = NewInterest::from_form(&form, None, Channel::Website, "bench")
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let due = first_day + time::Duration::days((i % 60) as i64);
                for k in 0..2 {
                    store.add_interest(&n, at + k, due).await?;
                }
            }
            anyhow::Ok(())
        });
        made += 1;
        if tasks.len() >= parallel.max(1) {
            tasks.join_next().await.expect("a task")??;
        }
        if made.is_multiple_of(10_000) {
            eprintln!(
                "{made} people made ({:.0} s)",
                start.elapsed().as_secs_f64()
            );
        }
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    if made > 0 {
        println!(
            "{made} people made in {:.0} s",
            start.elapsed().as_secs_f64()
        );
        // A database in use has its planner's statistics; one just filled has them only when
        // autovacuum comes by: gathered now, so that the figures are those of a database in use.
        if let Some(url) = postgres {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url).await?;
            sqlx::query("ANALYZE").execute(&mut c).await?;
        }
    }
    if fill_only {
        return Ok(());
    }
    let before = rss_mib();
    let list = dklik_app::directory::PeopleDirectory::default();
    let employers = dklik_app::directory::EmployerDirectory::default();
    let (mut p_build, mut e_build) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        list.refresh(store.as_ref(), true).await?;
        p_build.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        employers.refresh(store.as_ref(), true).await?;
        e_build.push(t.elapsed().as_secs_f64());
    }
    p_build.sort_by(f64::total_cmp);
    e_build.sort_by(f64::total_cmp);
    let everyone = list.find("", 0, 1).map_or(0, |f| f.total);
    let all_employers = employers.find("", 0, 1).map_or(0, |f| f.total);
    println!(
        "{everyone} people, {all_employers} employers; lists built in {:.2} s and {:.2} s (median of {}); memory {:.0} MiB before, {:.0} MiB with both",
        p_build[p_build.len() / 2],
        e_build[e_build.len() / 2],
        p_build.len(),
        before,
        rss_mib()
    );
    let queries = [
        "benali",
        "Benali Inès",
        "dupont",
        "lefebvre",
        "vandenbusche",
        "haddad karim",
        "bouchaib",
        "océane",
        "oceane",
        "chloe martin",
        "06 10 00",
        "0610",
        "06 10 12 34",
        "+33 6 10",
        "grande-synthe",
        "gravelines leclercq",
        "loon plage",
        "yanis",
        "inconnu",
        "",
    ];
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_micros() as u64
    };
    let (mut mem, mut sql) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        for q in queries {
            mem.push(time(&mut || {
                let _ = list.find(q, 0, 100);
            }));
            let t = Instant::now();
            store.search_people(q, 100).await?;
            sql.push(t.elapsed().as_micros() as u64);
        }
    }
    let line = |label: &str, v: &mut Vec<u64>| {
        println!(
            "{label:<40} median {:>8.2} ms  p99 {:>8.2} ms",
            percentile(v, 0.5) as f64 / 1000.0,
            percentile(v, 0.99) as f64 / 1000.0
        );
    };
    line("people search, from memory", &mut mem);
    line("people search, SQL (before)", &mut sql);
    let mut emp = Vec::new();
    for _ in 0..5 {
        for q in [
            "nord",
            "soudeur",
            "cariste 12",
            "littoral 3",
            "dunkerque",
            "zzz",
            "",
        ] {
            emp.push(time(&mut || {
                let _ = employers.find(q, 0, 50);
            }));
        }
    }
    line("employers search, from memory", &mut emp);
    let today = dklik_app::today_paris();
    let mut inbox = Vec::new();
    let mut queue = 0;
    for _ in 0..5 {
        // The pages the inbox gives: the first 20 of each filter.
        for (page, late) in [
            (0u32, false),
            (1, false),
            (19, false),
            (0, true),
            (19, true),
        ] {
            let f = dklik_app::InboxFilter {
                status: (!late).then_some(dklik_domain::InterestStatus::New),
                overdue_on: late.then_some(today),
                limit: 50,
                offset: page * 50,
                ..Default::default()
            };
            let t = Instant::now();
            queue = store.inbox_count(&f, 1_001).await?;
            store.inbox(&f).await?;
            inbox.push(t.elapsed().as_micros() as u64);
        }
    }
    line(&format!("requests page, SQL ({queue} late)"), &mut inbox);
    Ok(())
}
