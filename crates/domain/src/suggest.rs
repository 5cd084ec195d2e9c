//! Finding ROME items from French words: the item picker ("soudure" finds the welding items)
//! and suggestions from a sentence ("j'entraîne les U12 du club de foot le samedi").
//!
//! Words are reduced to a root that ignores accents, plurals, genders and the common verb and
//! noun endings (souder, soudure, soudage, soudeur → "soud"). An item is found by the roots of
//! its label; a sentence also reaches items through the job titles people use (ROME
//! appellations): the sentence's words point to job sheets, and those sheets' core items are
//! suggested too. Everyday words are mapped to ROME words by a small reviewable list
//! (`data/synonymes.csv`).

use crate::rome::{ItemKind, OgrCode, RomeAppellation, RomeCode, RomeItem, RomeJobItem};
use crate::text::fold;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Endings removed from a folded word, longest first, keeping a root of 4 letters at least.
const ENDINGS: &[&str] = &[
    "atrices", "ateures", "ements", "atrice", "ateurs", "ateure", "ations", "ement", "ateur",
    "ation", "euses", "ances", "ences", "ables", "ibles", "iques", "istes", "aient", "ments",
    "ment", "euse", "eurs", "eure", "ures", "ages", "ance", "ence", "able", "ible", "ique", "iste",
    "isme", "ants", "ante", "ions", "ites", "ives", "eur", "ure", "age", "ant", "ees", "ers",
    "ent", "ons", "ais", "ait", "ite", "ive", "ifs", "ion", "er", "ez", "ee", "es", "ir", "is",
    "it", "if", "e", "s", "x",
];

/// The root of one folded word.
pub fn root(word: &str) -> String {
    // A plural first, even on short words (murs → mur).
    let w = match word.strip_suffix(['s', 'x']) {
        Some(w) if w.len() >= 3 && !w.ends_with('s') => w,
        _ => word,
    };
    let mut r = w;
    for end in ENDINGS {
        if w.len() >= end.len() + 4 && w.ends_with(end) {
            r = &w[..w.len() - end.len()];
            break;
        }
    }
    // Doubled final consonants: étiquette and étiquetage, caisse and caisson.
    let b = r.as_bytes();
    if b.len() >= 4 && b[b.len() - 1] == b[b.len() - 2] && !b"aeiouy".contains(&b[b.len() - 1]) {
        r = &r[..r.len() - 1];
    }
    r.to_string()
}

/// Words that carry no meaning for skills.
fn is_stop(w: &str) -> bool {
    w.len() < 2
        || matches!(
            w,
            "de" | "du"
                | "des"
                | "le"
                | "la"
                | "les"
                | "un"
                | "une"
                | "et"
                | "ou"
                | "en"
                | "au"
                | "aux"
                | "a"
                | "je"
                | "tu"
                | "il"
                | "elle"
                | "on"
                | "nous"
                | "vous"
                | "ils"
                | "elles"
                | "me"
                | "te"
                | "se"
                | "mon"
                | "ma"
                | "mes"
                | "ton"
                | "ta"
                | "tes"
                | "son"
                | "sa"
                | "ses"
                | "notre"
                | "nos"
                | "votre"
                | "vos"
                | "leur"
                | "leurs"
                | "ce"
                | "cet"
                | "cette"
                | "ces"
                | "qui"
                | "que"
                | "quoi"
                | "dont"
                | "pour"
                | "par"
                | "sur"
                | "sous"
                | "dans"
                | "avec"
                | "sans"
                | "chez"
                | "est"
                | "suis"
                | "sont"
                | "ai"
                | "as"
                | "avons"
                | "avez"
                | "ont"
                | "fait"
                | "fais"
                | "faire"
                | "tous"
                | "tout"
                | "toute"
                | "toutes"
                | "tres"
                | "bien"
                | "plus"
                | "moins"
                | "aussi"
                | "depuis"
                | "pendant"
                | "quand"
                | "comme"
                | "mais"
                | "donc"
                | "or"
                | "ni"
                | "car"
                | "ne"
                | "pas"
                | "y"
                | "lundi"
                | "mardi"
                | "mercredi"
                | "jeudi"
                | "vendredi"
                | "samedi"
                | "dimanche"
                | "matin"
                | "soir"
                | "jour"
                | "jours"
                | "semaine"
                | "week"
                | "end"
                | "an"
                | "ans"
                | "annee"
                | "annees"
                | "fois"
                | "souvent"
                | "parfois"
                | "beaucoup"
                | "petit"
                | "petits"
                | "petite"
                | "petites"
                | "grand"
                | "grands"
                | "etc"
                | "ca"
                | "cela"
                | "ceux"
                | "celle"
                | "celui"
                | "autre"
                | "autres"
                | "meme"
                | "lui"
                | "eux"
                | "moi"
                | "toi"
        )
}

/// Everyday words and the ROME words they stand for (`data/synonymes.csv`).
fn synonyms() -> &'static HashMap<String, Vec<String>> {
    static MAP: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for l in include_str!("../data/synonymes.csv").lines() {
            if l.starts_with('#') || l.starts_with("mot;") || l.trim().is_empty() {
                continue;
            }
            if let Some((word, rome_words)) = l.split_once(';') {
                let key = fold(word).trim().to_string();
                let roots: Vec<String> = words(rome_words).collect();
                m.entry(key).or_default().extend(roots);
            }
        }
        m
    })
}

/// The roots of a text, stop words left out, in order (duplicates kept).
fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    let folded = fold(s).replace(['\''], " ");
    folded
        .split_whitespace()
        .filter(|w| !is_stop(w))
        .map(root)
        .collect::<Vec<_>>()
        .into_iter()
}

/// What a synonym's ROME words weigh beside the person's own words.
const SYNONYM_WEIGHT: f32 = 0.6;

/// The roots of a query or sentence, deduplicated, each with its weight: 1 for the text's own
/// words, less for the ROME words its everyday words stand for.
pub fn weighted_roots(s: &str) -> Vec<(String, f32)> {
    let folded = fold(s);
    let mut out: Vec<(String, f32)> = Vec::new();
    let mut push = |r: String, w: f32| match out.iter_mut().find(|(x, _)| *x == r) {
        Some(e) => e.1 = e.1.max(w),
        None => out.push((r, w)),
    };
    for w in folded.split_whitespace() {
        // "j entraine" after folding: the elided pronoun is a lone letter, dropped as a stop word.
        let singular = w.strip_suffix('s').unwrap_or(w);
        if let Some(extra) = synonyms().get(w).or_else(|| synonyms().get(singular)) {
            for r in extra {
                push(r.clone(), SYNONYM_WEIGHT);
            }
        }
        if !is_stop(w) {
            push(root(w), 1.0);
        }
    }
    out
}

/// The roots of a query or sentence, with the synonyms of its everyday words, deduplicated.
pub fn query_roots(s: &str) -> Vec<String> {
    weighted_roots(s).into_iter().map(|(r, _)| r).collect()
}

/// How much an item of this kind is worth as a suggestion: what a person does (savoir-faire)
/// and the soft skills come before knowledge and certificates.
fn kind_weight(k: ItemKind) -> f32 {
    match k {
        ItemKind::SavoirEtre => 1.3,
        ItemKind::Savoir => 0.7,
        ItemKind::SavoirFaire | ItemKind::MacroCompetence | ItemKind::Context => 1.0,
    }
}

struct Indexed {
    item: RomeItem,
    roots: Vec<String>,
    /// Roots of the item's ROME definition, weighing less than the label's.
    def_roots: Vec<String>,
}

/// A suggested item, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The item.
    pub code: OgrCode,
    /// Its label.
    pub label: String,
    /// Its kind.
    pub kind: ItemKind,
    /// How well it matches (higher is better).
    pub score: f32,
    /// In plain French: the words that matched, or the job title the sentence evokes.
    pub reason: String,
}

/// The ROME items and job titles, indexed by root.
pub struct SkillIndex {
    items: Vec<Indexed>,
    by_code: HashMap<i64, usize>,
    /// root → items whose label has it.
    postings: HashMap<String, Vec<u32>>,
    /// root → items whose definition has it.
    def_postings: HashMap<String, Vec<u32>>,
    idf: HashMap<String, f32>,
    /// (job sheet, label, roots) of every appellation.
    titles: Vec<(RomeCode, String, Vec<String>)>,
    title_postings: HashMap<String, Vec<u32>>,
    title_idf: HashMap<String, f32>,
    /// job sheet → (item, core), core items first.
    job_items: HashMap<String, Vec<(OgrCode, bool)>>,
    /// How many job sheets list each item: items nearly every sheet lists say little.
    item_spread: HashMap<i64, u32>,
    job_count: u32,
}

fn idf_of(n_docs: usize, df: usize) -> f32 {
    ((1.0 + n_docs as f32) / (1.0 + df as f32)).ln() + 0.1
}

impl SkillIndex {
    /// Contexts of work are left out: they are not skills.
    pub fn new(
        items: &[RomeItem],
        appellations: &[RomeAppellation],
        job_items: &[RomeJobItem],
    ) -> Self {
        let items: Vec<Indexed> = items
            .iter()
            .filter(|i| i.kind != ItemKind::Context)
            .map(|i| {
                let mut roots: Vec<String> = words(&i.label).collect();
                roots.dedup();
                let mut def_roots: Vec<String> = words(&i.definition)
                    .filter(|r| !roots.contains(r))
                    .collect();
                def_roots.sort();
                def_roots.dedup();
                Indexed {
                    item: i.clone(),
                    roots,
                    def_roots,
                }
            })
            .collect();
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        for (n, it) in items.iter().enumerate() {
            let uniq: HashSet<&String> = it.roots.iter().collect();
            for r in uniq {
                postings.entry(r.clone()).or_default().push(n as u32);
            }
        }
        let idf = postings
            .iter()
            .map(|(r, v)| (r.clone(), idf_of(items.len(), v.len())))
            .collect();
        let mut def_postings: HashMap<String, Vec<u32>> = HashMap::new();
        for (n, it) in items.iter().enumerate() {
            for r in &it.def_roots {
                def_postings.entry(r.clone()).or_default().push(n as u32);
            }
        }
        let titles: Vec<(RomeCode, String, Vec<String>)> = appellations
            .iter()
            .map(|a| {
                let mut roots: Vec<String> = words(&a.label).collect();
                roots.sort();
                roots.dedup();
                (a.rome.clone(), a.short_label.clone(), roots)
            })
            .collect();
        let mut title_postings: HashMap<String, Vec<u32>> = HashMap::new();
        for (n, t) in titles.iter().enumerate() {
            for r in &t.2 {
                title_postings.entry(r.clone()).or_default().push(n as u32);
            }
        }
        let title_idf = title_postings
            .iter()
            .map(|(r, v)| (r.clone(), idf_of(titles.len(), v.len())))
            .collect();
        let mut by_job: HashMap<String, Vec<(OgrCode, bool)>> = HashMap::new();
        let mut item_spread: HashMap<i64, u32> = HashMap::new();
        for ji in job_items {
            by_job
                .entry(ji.rome.as_str().to_string())
                .or_default()
                .push((ji.item, ji.core));
            *item_spread.entry(ji.item.0).or_default() += 1;
        }
        for v in by_job.values_mut() {
            v.sort_by_key(|(c, core)| (!*core, c.0));
        }
        let by_code = items
            .iter()
            .enumerate()
            .map(|(n, i)| (i.item.code.0, n))
            .collect();
        Self {
            items,
            by_code,
            postings,
            def_postings,
            idf,
            titles,
            title_postings,
            title_idf,
            job_count: by_job.len() as u32,
            job_items: by_job,
            item_spread,
        }
    }

    /// An item by its code.
    pub fn item(&self, code: OgrCode) -> Option<&RomeItem> {
        self.by_code.get(&code.0).map(|&n| &self.items[n].item)
    }

    /// Items indexed.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is indexed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A job sheet's items, core items first.
    pub fn job_items(&self, rome: &RomeCode) -> Vec<(OgrCode, bool)> {
        self.job_items
            .get(rome.as_str())
            .cloned()
            .unwrap_or_default()
    }

    /// How many job sheets list an item, out of how many (for weights: an item nearly every
    /// sheet lists tells little about a match).
    pub fn spread(&self, code: OgrCode) -> (u32, u32) {
        (
            self.item_spread.get(&code.0).copied().unwrap_or(0),
            self.job_count,
        )
    }

    /// Items whose label holds every word of the query (a word may be the start of a label's
    /// word, for typing), rarest words weighing most. `kinds` empty means every kind.
    pub fn search(&self, query: &str, kinds: &[ItemKind], limit: usize) -> Vec<(OgrCode, f32)> {
        let roots = query_roots(query);
        if roots.is_empty() {
            return Vec::new();
        }
        let mut scores: HashMap<u32, (f32, usize)> = HashMap::new();
        for r in &roots {
            // Exact roots, and label roots the query word starts (4 letters at least).
            let mut hits: HashSet<u32> = HashSet::new();
            let mut weight = self.idf.get(r).copied().unwrap_or(1.0);
            if let Some(v) = self.postings.get(r) {
                hits.extend(v.iter().copied());
            }
            if r.len() >= 4 {
                for (lr, v) in &self.postings {
                    if lr.len() > r.len() && lr.starts_with(r.as_str()) {
                        hits.extend(v.iter().copied());
                        weight = weight.max(self.idf.get(lr).copied().unwrap_or(1.0) * 0.8);
                    }
                }
            }
            for h in hits {
                let e = scores.entry(h).or_insert((0.0, 0));
                e.0 += weight;
                e.1 += 1;
            }
        }
        let mut out: Vec<(OgrCode, f32)> = scores
            .into_iter()
            .filter(|(_, (_, n))| *n == roots.len())
            .map(|(i, (s, _))| (i as usize, s))
            .filter(|(i, _)| kinds.is_empty() || kinds.contains(&self.items[*i].item.kind))
            .map(|(i, s)| {
                let len = self.items[i].roots.len().max(1) as f32;
                (self.items[i].item.code, s / len.sqrt())
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0 .0.cmp(&b.0 .0)));
        out.truncate(limit);
        out
    }

    /// Suggests items for a sentence, best first, each with its reason.
    pub fn suggest(&self, sentence: &str, limit: usize) -> Vec<Suggestion> {
        let weighted = weighted_roots(sentence);
        if weighted.is_empty() {
            return Vec::new();
        }
        let roots: Vec<String> = weighted.iter().map(|(r, _)| r.clone()).collect();
        let weight_of = |r: &str| {
            weighted
                .iter()
                .find(|(x, _)| x == r)
                .map(|(_, w)| *w)
                .unwrap_or(1.0)
        };
        // 1. Items whose label shares the sentence's roots.
        let mut direct: HashMap<u32, (f32, Vec<String>)> = HashMap::new();
        for r in &roots {
            let Some(v) = self.postings.get(r) else {
                continue;
            };
            let w = self.idf.get(r).copied().unwrap_or(1.0) * weight_of(r);
            for &i in v {
                let e = direct.entry(i).or_insert((0.0, Vec::new()));
                e.0 += w;
                e.1.push(r.clone());
            }
        }
        // Definitions count for half, and only with two words or more in common.
        let mut by_def: HashMap<u32, (f32, Vec<String>)> = HashMap::new();
        for r in &roots {
            let Some(v) = self.def_postings.get(r) else {
                continue;
            };
            let w = self.idf.get(r).copied().unwrap_or(2.0) * weight_of(r);
            for &i in v {
                let e = by_def.entry(i).or_insert((0.0, Vec::new()));
                e.0 += w * 0.5;
                e.1.push(r.clone());
            }
        }
        for (i, (s, matched)) in by_def {
            if matched.len() < 2 {
                continue;
            }
            let e = direct.entry(i).or_insert((0.0, Vec::new()));
            e.0 += s;
            e.1.extend(matched);
        }
        let mut scores: HashMap<u32, (f32, String)> = HashMap::new();
        for (i, (s, matched)) in direct {
            let it = &self.items[i as usize];
            let len = it.roots.len().max(1) as f32;
            // Matching two words of a short label beats one word of a long one.
            let score = s * (matched.len() as f32) / len.sqrt() * kind_weight(it.item.kind);
            scores.insert(i, (score, format!("mots : {}", matched.join(", "))));
        }
        // 2. Job titles the sentence evokes, and their sheets' core items.
        let mut titles: HashMap<u32, f32> = HashMap::new();
        for r in &roots {
            let Some(v) = self.title_postings.get(r) else {
                continue;
            };
            let w = self.title_idf.get(r).copied().unwrap_or(1.0);
            for &t in v {
                *titles.entry(t).or_default() += w;
            }
        }
        let mut jobs: HashMap<String, (f32, String)> = HashMap::new();
        for (t, s) in titles {
            let (rome, label, troots) = &self.titles[t as usize];
            let s = s / (troots.len().max(1) as f32).sqrt();
            let e = jobs
                .entry(rome.as_str().to_string())
                .or_insert((0.0, label.clone()));
            if s > e.0 {
                *e = (s, label.clone());
            }
        }
        let mut jobs: Vec<(String, f32, String)> =
            jobs.into_iter().map(|(r, (s, l))| (r, s, l)).collect();
        jobs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (rank, (rome, s, label)) in jobs.iter().take(3).enumerate() {
            let Some(list) = self.job_items.get(rome) else {
                continue;
            };
            let job_w = s * 0.3 / (rank as f32 + 1.0);
            for (code, core) in list {
                let Some(&i) = self.by_code.get(&code.0) else {
                    continue;
                };
                if self.items[i].item.kind == ItemKind::SavoirEtre {
                    continue;
                }
                let (spread, total) = self.spread(*code);
                let rarity = 1.0 - (spread as f32 / total.max(1) as f32).min(0.9);
                let add = job_w * if *core { 1.0 } else { 0.25 } * rarity;
                let e = scores
                    .entry(i as u32)
                    .or_insert((0.0, format!("métier proche : {label}")));
                e.0 += add;
            }
        }
        let mut out: Vec<Suggestion> = scores
            .into_iter()
            .map(|(i, (score, reason))| {
                let it = &self.items[i as usize].item;
                Suggestion {
                    code: it.code,
                    label: it.label.clone(),
                    kind: it.kind,
                    score,
                    reason,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.code.0.cmp(&b.code.0)));
        out.truncate(limit);
        out
    }
}

/// One sentence of the reference set and the items an advisor would keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldSentence {
    /// A sentence as a person says it.
    pub sentence: String,
    /// The items it should suggest.
    pub expected: Vec<OgrCode>,
}

/// Reads the reference set: `phrase;attendus` lines, codes separated by spaces, `#` comments.
pub fn read_gold(text: &str) -> Result<Vec<GoldSentence>, String> {
    let mut out = Vec::new();
    for (n, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with("phrase;") {
            continue;
        }
        let (sentence, codes) = l
            .rsplit_once(';')
            .ok_or_else(|| format!("ligne {} : il faut « phrase;codes ».", n + 1))?;
        let expected = codes
            .split_whitespace()
            .map(OgrCode::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("ligne {} : {e}", n + 1))?;
        if expected.is_empty() {
            return Err(format!("ligne {} : aucun code attendu.", n + 1));
        }
        out.push(GoldSentence {
            sentence: sentence.to_string(),
            expected,
        });
    }
    Ok(out)
}

/// How well suggestions find the reference items.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Sentences evaluated.
    pub sentences: usize,
    /// Share of expected items found in the first 5 suggestions, averaged over sentences.
    pub recall_at_5: f64,
    /// Mean of 1 / rank of the first expected item found (0 when none in the first 20).
    pub mrr: f64,
    /// Sentences with no expected item in the first 5.
    pub misses: Vec<String>,
}

/// Recall at 5 and MRR of the suggestions over gold sentences.
pub fn evaluate(index: &SkillIndex, gold: &[GoldSentence]) -> Quality {
    let (mut recall, mut rr) = (0.0, 0.0);
    let mut misses = Vec::new();
    for g in gold {
        let got: Vec<OgrCode> = index
            .suggest(&g.sentence, 20)
            .iter()
            .map(|s| s.code)
            .collect();
        let top5 = &got[..got.len().min(5)];
        let found = g.expected.iter().filter(|e| top5.contains(e)).count();
        recall += found as f64 / g.expected.len() as f64;
        if let Some(rank) = got.iter().position(|c| g.expected.contains(c)) {
            rr += 1.0 / (rank as f64 + 1.0);
        }
        if found == 0 {
            misses.push(g.sentence.clone());
        }
    }
    let n = gold.len().max(1) as f64;
    Quality {
        sentences: gold.len(),
        recall_at_5: recall / n,
        mrr: rr / n,
        misses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: i64, kind: ItemKind, label: &str) -> RomeItem {
        RomeItem {
            code: OgrCode(code),
            kind,
            label: label.into(),
            macro_code: None,
            category: String::new(),
            definition: String::new(),
        }
    }

    fn index() -> SkillIndex {
        let items = vec![
            item(1, ItemKind::SavoirFaire, "Souder des pièces métalliques"),
            item(2, ItemKind::Savoir, "Techniques de soudage"),
            item(3, ItemKind::SavoirFaire, "Résoudre un problème technique"),
            item(
                4,
                ItemKind::SavoirFaire,
                "Animer une séance d'entraînement sportif",
            ),
            item(5, ItemKind::SavoirEtre, "Faire preuve de leadership"),
            item(6, ItemKind::SavoirFaire, "Encadrer un groupe de jeunes"),
        ];
        let apps = vec![RomeAppellation {
            code: OgrCode(99),
            label: "Entraîneur / Entraîneuse de football".into(),
            short_label: "Entraîneur de football".into(),
            rome: RomeCode::parse("G1204").unwrap(),
        }];
        let links = vec![RomeJobItem {
            rome: RomeCode::parse("G1204").unwrap(),
            item: OgrCode(6),
            core: true,
        }];
        SkillIndex::new(&items, &apps, &links)
    }

    #[test]
    fn roots_join_verbs_nouns_genders_and_plurals() {
        for w in [
            "souder", "soudure", "soudures", "soudage", "soudeur", "soudeuse",
        ] {
            assert_eq!(root(&fold(w)), "soud", "{w}");
        }
        for w in [
            "entraine",
            "entrainer",
            "entrainement",
            "entraineur",
            "entraineuse",
        ] {
            assert_eq!(root(w), "entrain", "{w}");
        }
        assert_ne!(root("resoudre"), "soud");
    }

    #[test]
    fn soudure_finds_the_welding_items_not_resoudre() {
        let idx = index();
        let found: Vec<i64> = idx
            .search("soudure", &[], 10)
            .iter()
            .map(|x| x.0 .0)
            .collect();
        assert!(found.contains(&1) && found.contains(&2), "{found:?}");
        assert!(!found.contains(&3));
        let savoirs: Vec<i64> = idx
            .search("Soudures", &[ItemKind::Savoir], 10)
            .iter()
            .map(|x| x.0 .0)
            .collect();
        assert_eq!(savoirs, vec![2]);
        assert!(idx.search("   ", &[], 10).is_empty());
        // Typing: "entraîn" already finds the training item.
        assert_eq!(idx.search("entraîn", &[], 10)[0].0, OgrCode(4));
    }

    #[test]
    fn a_sentence_reaches_items_directly_and_through_job_titles() {
        let idx = index();
        let s = idx.suggest("J'entraîne les U12 du club de foot le samedi", 5);
        let codes: Vec<i64> = s.iter().map(|x| x.code.0).collect();
        assert!(codes.contains(&4), "{s:?}");
        assert!(
            codes.contains(&6),
            "through the football coach title: {s:?}"
        );
        let via = s.iter().find(|x| x.code.0 == 6).unwrap();
        assert!(
            via.reason.contains("Entraîneur de football"),
            "{}",
            via.reason
        );
        assert!(idx.suggest("", 5).is_empty());
    }
}
