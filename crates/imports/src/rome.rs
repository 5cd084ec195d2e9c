//! The ROME 4.0 CSV export: comma separated, every field quoted, UTF-8, one header line.
//!
//! Columns are found by their header name, so a release that adds columns still reads.

use crate::ImportErrors;
use dklik_domain::rome::{
    RomeAppellation, RomeDomain, RomeItem, RomeJob, RomeJobItem, RomeMobility, RomeReference,
};
use dklik_domain::{ItemKind, OgrCode, RomeCode};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub const JOBS: &str = "unix_referentiel_code_rome.csv";
pub const APPELLATIONS: &str = "unix_referentiel_appellation.csv";
pub const COMPETENCES: &str = "unix_referentiel_competence.csv";
pub const SAVOIRS: &str = "unix_referentiel_savoir.csv";
pub const CONTEXTS: &str = "unix_referentiel_contexte_travail.csv";
pub const JOB_ITEMS: &str = "unix_coherence_item.csv";
pub const MOBILITY: &str = "unix_rubrique_mobilite.csv";
pub const GRANDS_DOMAINES: &str = "unix_grand_domaine.csv";
pub const DOMAINES: &str = "unix_domaine_professionnel.csv";

/// Files without which a release is not usable.
pub const REQUIRED: [&str; 5] = [JOBS, APPELLATIONS, COMPETENCES, SAVOIRS, JOB_ITEMS];
/// Files read when present.
pub const OPTIONAL: [&str; 4] = [CONTEXTS, MOBILITY, GRANDS_DOMAINES, DOMAINES];

/// Reads a ROME export folder.
pub fn read_dir(dir: &Path) -> Result<RomeReference, ImportErrors> {
    let mut files = HashMap::new();
    let mut errs = ImportErrors::default();
    if !dir.is_dir() {
        errs.push(
            &dir.display().to_string(),
            "",
            "ce dossier n'existe pas ou n'est pas un dossier.",
        );
        return Err(errs);
    }
    for name in REQUIRED.iter().chain(OPTIONAL.iter()) {
        let p = dir.join(name);
        match std::fs::metadata(&p) {
            Ok(m) if m.len() > crate::MAX_IMPORT_BYTES => {
                errs.push(name, "", "fichier trop gros (64 Mo au plus).");
            }
            Ok(_) => match std::fs::read(&p) {
                Ok(b) => {
                    files.insert(name.to_string(), b);
                }
                Err(e) => errs.push(name, "", format!("lecture impossible ({e}).")),
            },
            Err(_) if REQUIRED.contains(name) => {
                errs.push(name, "", "fichier obligatoire absent du dossier.")
            }
            Err(_) => {}
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    parse_files(&files)
}

/// A CSV table addressed by column names.
struct Table<'a> {
    file: &'a str,
    cols: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl<'a> Table<'a> {
    fn read(file: &'a str, bytes: &[u8], needed: &[&str], errs: &mut ImportErrors) -> Option<Self> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let headers = match r.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                errs.push(file, "", format!("en-tête illisible ({e})."));
                return None;
            }
        };
        let cols: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_string(), i))
            .collect();
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|c| !cols.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            errs.push(
                file,
                "",
                format!(
                    "colonne(s) absente(s) de l'en-tête : {}. Est-ce bien un export ROME 4.0 ?",
                    missing.join(", ")
                ),
            );
            return None;
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            match rec {
                Ok(rec) => {
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    rows.push((line, rec));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    errs.push(
                        &format!("{file}, ligne {line}"),
                        "",
                        format!("ligne CSV illisible ({e})."),
                    );
                    if errs.0.len() > 200 {
                        return None;
                    }
                }
            }
        }
        Some(Self { file, cols, rows })
    }

    fn get<'r>(&self, rec: &'r csv::StringRecord, col: &str) -> &'r str {
        self.cols
            .get(col)
            .and_then(|&i| rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn place(&self, line: u64) -> String {
        format!("{}, ligne {line}", self.file)
    }
}

/// Stops collecting after this many problems: past that the file is plainly not the format.
const MAX_PROBLEMS: usize = 200;

fn required<'r>(
    t: &Table,
    rec: &'r csv::StringRecord,
    line: u64,
    col: &str,
    errs: &mut ImportErrors,
) -> Option<&'r str> {
    let v = t.get(rec, col);
    if v.is_empty() {
        errs.push(&t.place(line), col, "valeur vide.");
        None
    } else {
        Some(v)
    }
}

fn rome_code(
    t: &Table,
    rec: &csv::StringRecord,
    line: u64,
    col: &str,
    errs: &mut ImportErrors,
) -> Option<RomeCode> {
    let v = required(t, rec, line, col, errs)?;
    match RomeCode::parse(v) {
        Ok(c) => Some(c),
        Err(m) => {
            errs.push(&t.place(line), col, m);
            None
        }
    }
}

fn ogr(
    t: &Table,
    rec: &csv::StringRecord,
    line: u64,
    col: &str,
    errs: &mut ImportErrors,
) -> Option<OgrCode> {
    let v = required(t, rec, line, col, errs)?;
    match OgrCode::parse(v) {
        Ok(c) => Some(c),
        Err(m) => {
            errs.push(&t.place(line), col, m);
            None
        }
    }
}

/// Parses a release given as file name → bytes.
pub fn parse_files(files: &HashMap<String, Vec<u8>>) -> Result<RomeReference, ImportErrors> {
    let mut errs = ImportErrors::default();
    let mut out = RomeReference::default();
    let file = |n: &str| files.get(n).map(|b| b.as_slice());

    let check = |errs: &ImportErrors| errs.0.len() >= MAX_PROBLEMS;

    // Classification tree, when present.
    for (name, code_col, label_col) in [
        (
            GRANDS_DOMAINES,
            "code_grand_domaine",
            "libelle_grand_domaine",
        ),
        (
            DOMAINES,
            "code_domaine_professionnel",
            "libelle_domaine_professionnel",
        ),
    ] {
        if let Some(b) = file(name) {
            if let Some(t) = Table::read(name, b, &[code_col, label_col], &mut errs) {
                for (line, rec) in &t.rows {
                    let (Some(code), Some(label)) = (
                        required(&t, rec, *line, code_col, &mut errs),
                        required(&t, rec, *line, label_col, &mut errs),
                    ) else {
                        continue;
                    };
                    out.domains.push(RomeDomain {
                        code: code.to_string(),
                        label: label.to_string(),
                    });
                }
            }
        }
    }

    let mut job_codes = HashSet::new();
    if let Some(t) =
        file(JOBS).and_then(|b| Table::read(JOBS, b, &["code_rome", "libelle_rome"], &mut errs))
    {
        for (line, rec) in &t.rows {
            let Some(code) = rome_code(&t, rec, *line, "code_rome", &mut errs) else {
                continue;
            };
            let Some(label) = required(&t, rec, *line, "libelle_rome", &mut errs) else {
                continue;
            };
            let parent = RomeCode::parse(t.get(rec, "code_rome_parent")).ok();
            if !job_codes.insert(code.clone()) {
                errs.push(
                    &t.place(*line),
                    "code_rome",
                    format!("fiche {code} en double."),
                );
                continue;
            }
            out.jobs.push(RomeJob {
                code,
                label: label.to_string(),
                parent,
            });
        }
    }
    if check(&errs) {
        return Err(errs);
    }

    if let Some(t) = file(APPELLATIONS).and_then(|b| {
        Table::read(
            APPELLATIONS,
            b,
            &[
                "code_ogr",
                "libelle_appellation_long",
                "libelle_appellation_court",
                "code_rome",
            ],
            &mut errs,
        )
    }) {
        let mut seen = HashSet::new();
        for (line, rec) in &t.rows {
            let (Some(code), Some(rome), Some(label)) = (
                ogr(&t, rec, *line, "code_ogr", &mut errs),
                rome_code(&t, rec, *line, "code_rome", &mut errs),
                required(&t, rec, *line, "libelle_appellation_long", &mut errs),
            ) else {
                continue;
            };
            if !job_codes.contains(&rome) {
                errs.push(
                    &t.place(*line),
                    "code_rome",
                    format!("la fiche {rome} n'existe pas dans {JOBS}."),
                );
                continue;
            }
            if !seen.insert(code) {
                errs.push(
                    &t.place(*line),
                    "code_ogr",
                    format!("appellation {code} en double."),
                );
                continue;
            }
            let short = t.get(rec, "libelle_appellation_court");
            out.appellations.push(RomeAppellation {
                code,
                label: label.to_string(),
                short_label: if short.is_empty() { label } else { short }.to_string(),
                rome,
            });
        }
    }
    if check(&errs) {
        return Err(errs);
    }

    let mut item_codes = HashSet::new();
    if let Some(t) = file(COMPETENCES).and_then(|b| {
        Table::read(
            COMPETENCES,
            b,
            &[
                "code_ogr",
                "nature",
                "libelle_competence",
                "code_ogr_macro_comp",
                "cat_comp",
                "sous_cat_comp",
            ],
            &mut errs,
        )
    }) {
        for (line, rec) in &t.rows {
            let (Some(code), Some(label)) = (
                ogr(&t, rec, *line, "code_ogr", &mut errs),
                required(&t, rec, *line, "libelle_competence", &mut errs),
            ) else {
                continue;
            };
            let nature = t.get(rec, "nature");
            let cat = t.get(rec, "cat_comp");
            let kind = if cat.starts_with("Savoir-être") || cat.starts_with("Savoir-etre") {
                ItemKind::SavoirEtre
            } else if nature.starts_with("Macro") {
                ItemKind::MacroCompetence
            } else {
                ItemKind::SavoirFaire
            };
            if !item_codes.insert(code) {
                errs.push(
                    &t.place(*line),
                    "code_ogr",
                    format!("élément {code} en double."),
                );
                continue;
            }
            out.items.push(RomeItem {
                code,
                kind,
                label: label.to_string(),
                macro_code: OgrCode::parse(t.get(rec, "code_ogr_macro_comp")).ok(),
                category: t.get(rec, "sous_cat_comp").to_string(),
            });
        }
    }
    if check(&errs) {
        return Err(errs);
    }

    if let Some(t) = file(SAVOIRS).and_then(|b| {
        Table::read(
            SAVOIRS,
            b,
            &["code_ogr_savoir", "libelle_savoir", "categorie_savoir"],
            &mut errs,
        )
    }) {
        for (line, rec) in &t.rows {
            let (Some(code), Some(label)) = (
                ogr(&t, rec, *line, "code_ogr_savoir", &mut errs),
                required(&t, rec, *line, "libelle_savoir", &mut errs),
            ) else {
                continue;
            };
            if !item_codes.insert(code) {
                errs.push(
                    &t.place(*line),
                    "code_ogr_savoir",
                    format!("élément {code} en double."),
                );
                continue;
            }
            out.items.push(RomeItem {
                code,
                kind: ItemKind::Savoir,
                label: label.to_string(),
                macro_code: None,
                category: t.get(rec, "categorie_savoir").to_string(),
            });
        }
    }

    if let Some(t) = file(CONTEXTS).and_then(|b| {
        Table::read(
            CONTEXTS,
            b,
            &["code_ogr", "libelle_cont_travail", "libelle_type_cont_trav"],
            &mut errs,
        )
    }) {
        for (line, rec) in &t.rows {
            let (Some(code), Some(label)) = (
                ogr(&t, rec, *line, "code_ogr", &mut errs),
                required(&t, rec, *line, "libelle_cont_travail", &mut errs),
            ) else {
                continue;
            };
            if !item_codes.insert(code) {
                errs.push(
                    &t.place(*line),
                    "code_ogr",
                    format!("élément {code} en double."),
                );
                continue;
            }
            out.items.push(RomeItem {
                code,
                kind: ItemKind::Context,
                label: label.to_string(),
                macro_code: None,
                category: t.get(rec, "libelle_type_cont_trav").to_string(),
            });
        }
    }
    if check(&errs) {
        return Err(errs);
    }

    if let Some(t) = file(JOB_ITEMS).and_then(|b| {
        Table::read(
            JOB_ITEMS,
            b,
            &["code_rome", "code_ogr", "coeur_metier"],
            &mut errs,
        )
    }) {
        let mut seen = HashSet::new();
        for (line, rec) in &t.rows {
            let (Some(rome), Some(item)) = (
                rome_code(&t, rec, *line, "code_rome", &mut errs),
                ogr(&t, rec, *line, "code_ogr", &mut errs),
            ) else {
                continue;
            };
            if !job_codes.contains(&rome) {
                errs.push(
                    &t.place(*line),
                    "code_rome",
                    format!("la fiche {rome} n'existe pas dans {JOBS}."),
                );
            } else if !item_codes.contains(&item) {
                errs.push(
                    &t.place(*line),
                    "code_ogr",
                    format!("l'élément {item} n'existe dans aucun fichier d'éléments."),
                );
            } else if seen.insert((rome.clone(), item)) {
                let core = !t.get(rec, "coeur_metier").is_empty();
                out.job_items.push(RomeJobItem { rome, item, core });
            }
            if check(&errs) {
                return Err(errs);
            }
        }
    }

    if let Some(t) = file(MOBILITY).and_then(|b| {
        Table::read(
            MOBILITY,
            b,
            &["code_rome", "code_rome_cible", "numero_ordre"],
            &mut errs,
        )
    }) {
        let mut seen = HashSet::new();
        for (line, rec) in &t.rows {
            let (Some(from), Some(to)) = (
                rome_code(&t, rec, *line, "code_rome", &mut errs),
                rome_code(&t, rec, *line, "code_rome_cible", &mut errs),
            ) else {
                continue;
            };
            let rank = t.get(rec, "numero_ordre").parse::<i32>().unwrap_or(0);
            if !job_codes.contains(&from) || !job_codes.contains(&to) {
                errs.push(
                    &t.place(*line),
                    "code_rome_cible",
                    format!("lien {from} → {to} vers une fiche inconnue."),
                );
            } else if seen.insert((from.clone(), to.clone())) {
                out.mobility.push(RomeMobility { from, to, rank });
            }
        }
    }

    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> HashMap<String, Vec<u8>> {
        let mut m = HashMap::new();
        m.insert(JOBS.into(), b"\"code_rome\",\"code_fiche_metier\",\"code_ogr\",\"libelle_rome\",\"code_rome_parent\"\n\"H2913\",\"380\",\"290\",\"Soudeur / Soudeuse\",\"H2913\"\n\"N1101\",\"1\",\"2\",\"Cariste\",\"N1101\"\n".to_vec());
        m.insert(APPELLATIONS.into(), "\"code_ogr\",\"libelle_appellation_long\",\"libelle_appellation_court\",\"code_rome\"\n\"38883\",\"Soudeur / Soudeuse à l'arc\",\"Soudeur à l'arc\",\"H2913\"\n".as_bytes().to_vec());
        m.insert(COMPETENCES.into(), "\"code_ogr\",\"nature\",\"libelle_competence\",\"definition\",\"code_ogr_macro_comp\",\"code_macro_comp\",\"cat_comp\",\"sous_cat_comp\"\n\"100100\",\"Compétence\",\"Souder des pièces\",\"\",\"300200\",\"\",\"Savoir-faire\",\"Technique\"\n\"300490\",\"Macro-compétence\",\"Faire preuve de rigueur et de précision\",\"\",\"\",\"\",\"Savoir-être professionnel\",\"Transverse\"\n".as_bytes().to_vec());
        m.insert(SAVOIRS.into(), "\"code_ogr_savoir\",\"libelle_savoir\",\"categorie_savoir\"\n\"100007\",\"Techniques de soudage\",\"Techniques professionnelles\"\n".as_bytes().to_vec());
        m.insert(JOB_ITEMS.into(), b"\"code_rome\",\"code_ogr\",\"coeur_metier\"\n\"H2913\",\"100100\",\"Principale\"\n\"H2913\",\"100007\",\"\"\n\"H2913\",\"300490\",\"\"\n".to_vec());
        m
    }

    #[test]
    fn reads_a_small_release() {
        let r = parse_files(&fixture()).unwrap();
        assert_eq!(r.jobs.len(), 2);
        assert_eq!(r.appellations[0].short_label, "Soudeur à l'arc");
        assert_eq!(r.items.len(), 3);
        assert_eq!(
            r.items
                .iter()
                .filter(|i| i.kind == ItemKind::SavoirEtre)
                .count(),
            1
        );
        assert_eq!(r.job_items.iter().filter(|l| l.core).count(), 1);
    }

    #[test]
    fn dangling_links_and_bad_codes_are_listed() {
        let mut f = fixture();
        f.insert(JOB_ITEMS.into(), b"\"code_rome\",\"code_ogr\",\"coeur_metier\"\n\"H2913\",\"999\",\"\"\n\"Z9\",\"100100\",\"\"\n".to_vec());
        let e = parse_files(&f).unwrap_err();
        assert_eq!(e.0.len(), 2, "{e}");
        assert!(e.0[0].place.ends_with("ligne 2"), "{e}");
        assert!(e.0[1].message.contains("code ROME"), "{e}");
    }

    #[test]
    fn missing_columns_are_named() {
        let mut f = fixture();
        f.insert(
            JOBS.into(),
            b"\"code\",\"titre\"\n\"H2913\",\"Soudeur\"\n".to_vec(),
        );
        let e = parse_files(&f).unwrap_err();
        assert!(e.to_string().contains("code_rome, libelle_rome"), "{e}");
    }
}
