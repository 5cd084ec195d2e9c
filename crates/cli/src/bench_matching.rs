//! `dklik bench matching`: ranking quality on three tasks drawn from the full ROME release,
//! the DKLIK score beside cosine and idf-weighted cosine of item sets, and how proposals
//! spread over the posts with and without the crowding rule.

use dklik_domain::matching::{crowding, CompiledNeeds, CompiledPerson, OfferSet, PeopleIndex};
use dklik_domain::{Evidence, Importance, ItemKind, Level, OgrCode, PersonSkill, RequiredItem};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The rankings compared, in the tables' order.
const RANKINGS: [&str; 3] = [
    "score DKLIK",
    "cosinus des ensembles d'éléments",
    "cosinus pondéré par l'idf",
];

/// A small xorshift generator: the runs are the same from one machine to the next.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n.max(1) as f64) as usize).min(n.max(1) - 1)
    }
}

/// Item facts read from a ROME release.
struct Facts {
    macro_of: HashMap<i64, i64>,
    spread: HashMap<i64, f64>,
}

impl dklik_domain::matching::ItemFacts for Facts {
    fn macro_of(&self, item: OgrCode) -> Option<OgrCode> {
        self.macro_of.get(&item.0).map(|m| OgrCode(*m))
    }
    fn spread(&self, item: OgrCode) -> f64 {
        self.spread.get(&item.0).copied().unwrap_or(0.0)
    }
}

/// The job sheets of a ROME release as posts and as profiles.
struct Sheets {
    codes: Vec<String>,
    /// Per sheet: (item, core), by item.
    items: Vec<Vec<(i64, bool)>>,
    labels: HashMap<i64, (ItemKind, String)>,
    parent: Vec<String>,
    /// Per sheet: its mobility links (target sheet, order: 1 is the closest).
    links: Vec<Vec<(usize, i32)>>,
    facts: Facts,
    idf: HashMap<i64, f64>,
}

impl Sheets {
    fn read(rome: &Path) -> anyhow::Result<Self> {
        let r = match dklik_imports::rome::read_dir(rome) {
            Ok(r) => r,
            Err(e) => anyhow::bail!("{e}"),
        };
        let labels: HashMap<i64, (ItemKind, String)> = r
            .items
            .iter()
            .map(|i| (i.code.0, (i.kind, i.label.clone())))
            .collect();
        let mut by_code: HashMap<String, Vec<(i64, bool)>> = HashMap::new();
        for ji in &r.job_items {
            if labels
                .get(&ji.item.0)
                .is_some_and(|(k, _)| *k != ItemKind::Context && *k != ItemKind::MacroCompetence)
            {
                by_code
                    .entry(ji.rome.as_str().to_string())
                    .or_default()
                    .push((ji.item.0, ji.core));
            }
        }
        let mut codes: Vec<String> = by_code.keys().cloned().collect();
        codes.sort();
        let index: HashMap<&str, usize> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let items: Vec<Vec<(i64, bool)>> = codes
            .iter()
            .map(|c| {
                let mut v = by_code[c].clone();
                v.sort();
                v.dedup_by_key(|x| x.0);
                v
            })
            .collect();
        let parents: HashMap<&str, String> = r
            .jobs
            .iter()
            .map(|j| {
                let p = j.parent.as_ref().unwrap_or(&j.code);
                (j.code.as_str(), p.as_str().to_string())
            })
            .collect();
        let parent = codes
            .iter()
            .map(|c| {
                parents
                    .get(c.as_str())
                    .cloned()
                    .unwrap_or_else(|| c.clone())
            })
            .collect();
        let mut links = vec![Vec::new(); codes.len()];
        for m in &r.mobility {
            if let (Some(a), Some(b)) = (index.get(m.from.as_str()), index.get(m.to.as_str())) {
                if a != b {
                    links[*a].push((*b, m.rank));
                }
            }
        }
        let total = codes.len() as f64;
        let mut count: HashMap<i64, f64> = HashMap::new();
        for v in &items {
            for (i, _) in v {
                *count.entry(*i).or_default() += 1.0;
            }
        }
        let facts = Facts {
            macro_of: r
                .items
                .iter()
                .filter_map(|i| i.macro_code.map(|m| (i.code.0, m.0)))
                .collect(),
            spread: count.iter().map(|(c, n)| (*c, n / total)).collect(),
        };
        let idf = count.iter().map(|(c, n)| (*c, (total / n).ln())).collect();
        Ok(Self {
            codes,
            items,
            labels,
            parent,
            links,
            facts,
            idf,
        })
    }

    /// A sheet as a post: core items are musts (level 2), the others nice to have.
    fn post(&self, s: usize) -> Vec<RequiredItem> {
        self.items[s]
            .iter()
            .map(|(i, core)| RequiredItem {
                code: OgrCode(*i),
                kind: self.labels[i].0,
                label: self.labels[i].1.clone(),
                level: Level::DEFAULT,
                importance: if *core {
                    Importance::Must
                } else {
                    Importance::Nice
                },
            })
            .collect()
    }

    fn skill(&self, item: i64, level: u8, evidence: Evidence) -> PersonSkill {
        PersonSkill {
            item: OgrCode(item),
            label: self.labels[&item].1.clone(),
            level: Level::new(level).unwrap_or(Level::DEFAULT),
            evidence,
            endorsed_by: vec![],
            pieces: vec![],
        }
    }
}

/// A ranking query: the profile's items and what is relevant (candidate → grade), with the
/// candidate to leave out (the profile's own sheet, where it is not a candidate).
struct Query {
    profile: Vec<PersonSkill>,
    relevant: HashMap<usize, f64>,
    left_out: Option<usize>,
}

/// NDCG@10, MRR (the first candidate of the highest grade), Recall@20, summed over queries.
#[derive(Default, Clone, Copy)]
struct Metrics {
    ndcg: f64,
    mrr: f64,
    recall: f64,
    n: usize,
}

impl Metrics {
    fn add(&mut self, scores: &[f64], q: &Query) {
        if q.relevant.is_empty() {
            return;
        }
        let mut order: Vec<usize> = (0..scores.len())
            .filter(|c| Some(*c) != q.left_out)
            .collect();
        order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));
        let gain = |k: usize| q.relevant.get(&order[k]).copied().unwrap_or(0.0);
        let dcg: f64 = (0..10.min(order.len()))
            .map(|k| (2f64.powf(gain(k)) - 1.0) / ((k + 2) as f64).log2())
            .sum();
        let mut ideal: Vec<f64> = q.relevant.values().copied().collect();
        ideal.sort_by(|a, b| b.total_cmp(a));
        let idcg: f64 = ideal
            .iter()
            .take(10)
            .enumerate()
            .map(|(k, g)| (2f64.powf(*g) - 1.0) / ((k + 2) as f64).log2())
            .sum();
        self.ndcg += dcg / idcg.max(1e-9);
        let best = ideal[0];
        if let Some(pos) = (0..order.len()).position(|k| gain(k) >= best) {
            self.mrr += 1.0 / (pos as f64 + 1.0);
        }
        let found = (0..20.min(order.len())).filter(|k| gain(*k) > 0.0).count() as f64;
        self.recall += found / q.relevant.len() as f64;
        self.n += 1;
    }
}

/// Cosine of item sets, plain or weighted by each item's idf (squared in the dot product, as
/// for tf-idf vectors with binary tf).
fn cosine(a: &[i64], b: &[i64], idf: Option<&HashMap<i64, f64>>) -> f64 {
    let w = |i: &i64| idf.map_or(1.0, |m| m.get(i).copied().unwrap_or(0.0));
    let norm = |v: &[i64]| v.iter().map(|i| w(i) * w(i)).sum::<f64>().sqrt();
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += w(&a[i]) * w(&a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    let n = norm(a) * norm(b);
    if n > 0.0 {
        dot / n
    } else {
        0.0
    }
}

fn items_of(p: &[PersonSkill]) -> Vec<i64> {
    let mut v: Vec<i64> = p.iter().map(|s| s.item.0).collect();
    v.sort();
    v
}

/// Posts for each profile: every sheet a post.
fn posts_for_people(s: &Sheets, posts: &OfferSet, queries: &[Query]) -> [Metrics; 3] {
    let mut m = [Metrics::default(); 3];
    let sheet_items: Vec<Vec<i64>> = s
        .items
        .iter()
        .map(|v| v.iter().map(|x| x.0).collect())
        .collect();
    let mut values = Vec::new();
    for q in queries {
        posts.values(&CompiledPerson::new(&q.profile, &s.facts), &mut values);
        m[0].add(&values, q);
        let mine = items_of(&q.profile);
        for (k, idf) in [(1, None), (2, Some(&s.idf))] {
            let v: Vec<f64> = sheet_items.iter().map(|b| cosine(&mine, b, idf)).collect();
            m[k].add(&v, q);
        }
    }
    m
}

/// Task (a): a partial profile drawn from a sheet (60 % of its items removed, 5 of other
/// sheets added, levels 2–3, random evidence): its sheet is relevant 3, the sheet's mobility
/// links 2 (order ≤ 3) or 1.
fn task_partial(s: &Sheets, n: usize, rng: &mut Rng) -> Vec<Query> {
    let evidences = [
        Evidence::Declared,
        Evidence::SelfAssessed,
        Evidence::Observed,
        Evidence::Tested,
    ];
    (0..n)
        .map(|_| {
            let src = rng.below(s.codes.len());
            let mut items: Vec<i64> = s.items[src]
                .iter()
                .filter(|_| rng.below(10) >= 6)
                .map(|(i, _)| *i)
                .collect();
            for _ in 0..5 {
                let other = &s.items[rng.below(s.codes.len())];
                items.push(other[rng.below(other.len())].0);
            }
            items.sort();
            items.dedup();
            let profile = items
                .iter()
                .map(|i| {
                    s.skill(
                        *i,
                        2 + rng.below(2) as u8,
                        evidences[rng.below(evidences.len())],
                    )
                })
                .collect();
            let mut relevant = HashMap::from([(src, 3.0)]);
            for (to, rank) in &s.links[src] {
                relevant
                    .entry(*to)
                    .or_insert(if *rank <= 3 { 2.0 } else { 1.0 });
            }
            Query {
                profile,
                relevant,
                left_out: None,
            }
        })
        .collect()
}

/// The grade of a mobility link: closer links (smaller order) count more.
fn link_grade(order: i32) -> f64 {
    match order {
        ..=3 => 3.0,
        4..=6 => 2.0,
        _ => 1.0,
    }
}

/// A whole sheet as a person's profile (declared, level 2).
fn whole_sheet(s: &Sheets, k: usize) -> Vec<PersonSkill> {
    s.items[k]
        .iter()
        .map(|(i, _)| s.skill(*i, 2, Evidence::Declared))
        .collect()
}

/// Task (b), posts for a person: each sheet as a profile, its mobility links as the relevant
/// posts, graded by closeness; the sheet itself is not a candidate.
fn task_links(s: &Sheets) -> Vec<Query> {
    (0..s.codes.len())
        .map(|k| Query {
            profile: whole_sheet(s, k),
            relevant: s.links[k]
                .iter()
                .map(|(to, rank)| (*to, link_grade(*rank)))
                .collect(),
            left_out: Some(k),
        })
        .collect()
}

/// Task (b), people for a post: each sheet as a post, every other sheet as a person; those
/// whose mobility links lead to the post are relevant, graded by closeness.
fn people_for_posts(s: &Sheets) -> [Metrics; 3] {
    let n = s.codes.len();
    let mut index = PeopleIndex::default();
    let people: Vec<Vec<PersonSkill>> = (0..n).map(|k| whole_sheet(s, k)).collect();
    for p in &people {
        index.push(p, &s.facts);
    }
    let items: Vec<Vec<i64>> = people.iter().map(|p| items_of(p)).collect();
    let mut into: Vec<HashMap<usize, f64>> = vec![HashMap::new(); n];
    for (from, links) in s.links.iter().enumerate() {
        for (to, rank) in links {
            into[*to].insert(from, link_grade(*rank));
        }
    }
    let mut m = [Metrics::default(); 3];
    let mut values = Vec::new();
    for (post, relevant) in into.into_iter().enumerate() {
        let q = Query {
            profile: Vec::new(),
            relevant,
            left_out: Some(post),
        };
        index.values(&CompiledNeeds::new(&s.post(post), &s.facts), &mut values);
        m[0].add(&values, &q);
        for (k, idf) in [(1, None), (2, Some(&s.idf))] {
            let v: Vec<f64> = items.iter().map(|a| cosine(a, &items[post], idf)).collect();
            m[k].add(&v, &q);
        }
    }
    m
}

/// Task (c), an advisor's reading: a person whose trade is gone, described as an advisor
/// notes it in a first interview (up to 8 core gestures of the trade and 3 of the most common
/// soft skills, declared). The advisor looks for nearby trades: the sheets of the same parent
/// trade are relevant 3, the others of the same professional domain (first three characters
/// of the code, such as H25) 1; the person's own sheet is not a candidate.
fn task_advisor(s: &Sheets, n: usize, rng: &mut Rng) -> Vec<Query> {
    let mut by_spread: Vec<(&i64, &f64)> = s.facts.spread.iter().collect();
    by_spread.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let common: Vec<i64> = by_spread.iter().take(40).map(|(i, _)| **i).collect();
    let mut out = Vec::new();
    while out.len() < n {
        let src = rng.below(s.codes.len());
        let domain = &s.codes[src][..3];
        let mut relevant: HashMap<usize, f64> = HashMap::new();
        for (k, c) in s.codes.iter().enumerate() {
            if k == src {
                continue;
            }
            if s.parent[k] == s.parent[src] {
                relevant.insert(k, 3.0);
            } else if &c[..3] == domain {
                relevant.insert(k, 1.0);
            }
        }
        if relevant.is_empty() {
            continue;
        }
        let mut core: Vec<i64> = s.items[src].iter().filter(|x| x.1).map(|x| x.0).collect();
        if core.len() < 3 {
            core = s.items[src].iter().map(|x| x.0).collect();
        }
        let mut picked: HashSet<i64> = HashSet::new();
        while picked.len() < 8.min(core.len()) {
            picked.insert(core[rng.below(core.len())]);
        }
        while picked.len() < 8.min(core.len()) + 3 {
            picked.insert(common[rng.below(common.len())]);
        }
        let mut items: Vec<i64> = picked.into_iter().collect();
        items.sort();
        out.push(Query {
            profile: items
                .iter()
                .map(|i| s.skill(*i, 2, Evidence::Declared))
                .collect(),
            relevant,
            left_out: Some(src),
        });
    }
    out
}

fn table(title: &str, m: &[Metrics; 3]) {
    println!("\n{title} ({} requêtes)", m[0].n);
    println!("| classement | NDCG@10 | MRR | Recall@20 |");
    println!("|---|---|---|---|");
    for (k, name) in RANKINGS.iter().enumerate() {
        let n = m[k].n.max(1) as f64;
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            m[k].ndcg / n,
            m[k].mrr / n,
            m[k].recall / n
        );
    }
    let beats = |f: fn(&Metrics) -> f64| f(&m[0]) > f(&m[1]) && f(&m[0]) > f(&m[2]);
    println!(
        "DKLIK au-dessus des deux références : NDCG@10 {}, Recall@20 {}",
        if beats(|x| x.ndcg) { "oui" } else { "non" },
        if beats(|x| x.recall) { "oui" } else { "non" }
    );
}

/// How proposals spread over posts: posts proposed to nobody, the most-proposed post's count,
/// the Gini coefficient of the counts, and the fit of what was proposed.
struct Spread {
    nobody: f64,
    most: u32,
    gini: f64,
    /// Mean value of the proposals, against the mean of each person's best values.
    fit: f64,
}

fn gini(counts: &[u32]) -> f64 {
    let mut v: Vec<f64> = counts.iter().map(|c| f64::from(*c)).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len() as f64;
    let sum: f64 = v.iter().sum();
    if sum == 0.0 {
        return 0.0;
    }
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * x)
        .sum();
    2.0 * weighted / (n * sum) - (n + 1.0) / n
}

/// Each person in turn gets `k` proposals among the posts (values: person × post); with
/// `crowded`, each post's value is multiplied by [`crowding`] of the proposals it already has.
fn spread(values: &[Vec<f64>], posts: usize, k: usize, crowded: bool) -> Spread {
    let mut counts = vec![0u32; posts];
    let (mut got, mut best) = (0.0, 0.0);
    for v in values {
        // Only posts the person fits at all are proposed.
        let mut plain: Vec<usize> = (0..posts).filter(|p| v[*p] > 0.0).collect();
        plain.sort_by(|a, b| v[*b].total_cmp(&v[*a]).then(a.cmp(b)));
        best += plain.iter().take(k).map(|p| v[*p]).sum::<f64>();
        let mut order = plain;
        if crowded {
            order.sort_by(|a, b| {
                (v[*b] * crowding(counts[*b]))
                    .total_cmp(&(v[*a] * crowding(counts[*a])))
                    .then(a.cmp(b))
            });
        }
        for p in order.iter().take(k) {
            counts[*p] += 1;
            got += v[*p];
        }
    }
    Spread {
        nobody: counts.iter().filter(|c| **c == 0).count() as f64 / posts.max(1) as f64,
        most: counts.iter().copied().max().unwrap_or(0),
        gini: gini(&counts),
        fit: if best > 0.0 { got / best } else { 0.0 },
    }
}

fn spread_table(title: &str, values: &[Vec<f64>], posts: usize, k: usize) {
    let with_skills = values.iter().filter(|v| v.iter().any(|x| *x > 0.0)).count();
    println!(
        "\n{title} : {} personnes ({with_skills} avec des compétences décrites), {posts} postes, {k} propositions au plus chacune",
        values.len()
    );
    println!("| classement | postes proposés à personne | le plus proposé | Gini de l'exposition | adéquation gardée |");
    println!("|---|---|---|---|---|");
    for (name, crowded) in [("sans la règle", false), ("avec la règle", true)] {
        let s = spread(values, posts, k, crowded);
        println!(
            "| {name} | {:.1} % | {} | {:.3} | {:.1} % |",
            100.0 * s.nobody,
            s.most,
            s.gini,
            100.0 * s.fit
        );
    }
}

/// Generated people (40 % of a sheet's items and 3 others, levels 1–4, any evidence) and open
/// posts as written (a sheet's core items and 4 others), ranked with the DKLIK score.
fn generated(s: &Sheets, people: usize, posts: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let mut set = OfferSet::default();
    for _ in 0..posts {
        let k = rng.below(s.codes.len());
        let mut needs: Vec<RequiredItem> = s
            .post(k)
            .into_iter()
            .filter(|r| r.importance == Importance::Must)
            .collect();
        let all = s.post(k);
        for _ in 0..4 {
            let r = all[rng.below(all.len())].clone();
            if !needs.iter().any(|n| n.code == r.code) {
                needs.push(r);
            }
        }
        set.push(&CompiledNeeds::new(&needs, &s.facts));
    }
    (0..people)
        .map(|_| {
            let k = rng.below(s.codes.len());
            let mut items: Vec<i64> = s.items[k]
                .iter()
                .filter(|_| rng.below(10) < 4)
                .map(|x| x.0)
                .collect();
            for _ in 0..3 {
                let o = &s.items[rng.below(s.codes.len())];
                items.push(o[rng.below(o.len())].0);
            }
            items.sort();
            items.dedup();
            let skills: Vec<PersonSkill> = items
                .iter()
                .map(|i| {
                    s.skill(
                        *i,
                        1 + rng.below(4) as u8,
                        Evidence::ALL[rng.below(Evidence::ALL.len())],
                    )
                })
                .collect();
            let mut v = Vec::new();
            set.values(&CompiledPerson::new(&skills, &s.facts), &mut v);
            v
        })
        .collect()
}

/// The whole run: three tasks (four tables), then the spread of proposals.
pub fn run(rome: &Path, profiles: usize, people: usize, posts: usize) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let s = Sheets::read(rome)?;
    let mut all_posts = OfferSet::default();
    for k in 0..s.codes.len() {
        all_posts.push(&CompiledNeeds::new(&s.post(k), &s.facts));
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    println!(
        "{} fiches métiers du ROME, graine fixe ; chaque fiche est un poste (éléments du cœur de métier : indispensables)",
        s.codes.len()
    );
    let a = task_partial(&s, profiles, &mut rng);
    table(
        "(a) Retrouver la fiche d'un profil partiel (60 % des éléments retirés, 5 ajoutés ; la fiche 3, ses liens de mobilité 2 ou 1)",
        &posts_for_people(&s, &all_posts, &a),
    );
    let b = task_links(&s);
    table(
        "(b) Liens de mobilité du ROME, des postes pour une personne (chaque fiche comme profil ; liens d'ordre 1–3 : 3, 4–6 : 2, au-delà : 1)",
        &posts_for_people(&s, &all_posts, &b),
    );
    table(
        "(b) Liens de mobilité du ROME, des personnes pour un poste (chaque fiche comme poste, les autres comme personnes ; celles qui y mènent)",
        &people_for_posts(&s),
    );
    let c = task_advisor(&s, profiles, &mut rng);
    table(
        "(c) Lecture d'un conseiller : un métier perdu, noté en 8 gestes du cœur de métier et 3 savoir-être courants ; les fiches du même métier parent 3, du même domaine 1",
        &posts_for_people(&s, &all_posts, &c),
    );
    let values = generated(&s, people, posts, &mut rng);
    spread_table(
        "Répartition des propositions, personnes générées",
        &values,
        posts,
        3,
    );
    eprintln!("fait en {:.1?}", t0.elapsed());
    Ok(())
}

/// The same spread on the demo's people and offers (its database made in a temporary
/// folder), ranked as the pages rank them.
pub async fn demo_spread(k: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let (store, _) = crate::demo::prepare(&db, "127.0.0.1:0").await?;
    let r = dklik_app::skills::SkillsCache::default()
        .get(store.as_ref())
        .await?;
    let people = dklik_app::matching::followed_people(store.as_ref(), &r).await?;
    let offers = store.published_offers(true).await?;
    let values: Vec<Vec<f64>> = people
        .iter()
        .map(|p| {
            offers
                .iter()
                .map(|o| {
                    dklik_domain::matching::score(&p.skills, &o.items, r.as_ref(), vec![]).value
                })
                .collect()
        })
        .collect();
    spread_table(
        "Répartition des propositions, démo",
        &values,
        offers.len(),
        k,
    );
    Ok(())
}
