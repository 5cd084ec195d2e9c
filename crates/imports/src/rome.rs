//! The ROME 4.0 CSV export: comma separated, every field quoted, UTF-8, one header line.
//!
//! Columns are found by their header name, so a release that adds columns still reads.

use crate::table::{Row, Table, MAX_PROBLEMS};
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

/// A release's files in one input, one after the other, split by a zero byte, in this order:
/// how the fuzz target and the regression tests of its findings hand a release over.
pub fn files_of_one_input(data: &[u8]) -> HashMap<String, Vec<u8>> {
    const ORDER: [&str; 8] = [
        JOBS,
        APPELLATIONS,
        COMPETENCES,
        SAVOIRS,
        CONTEXTS,
        JOB_ITEMS,
        GRANDS_DOMAINES,
        MOBILITY,
    ];
    ORDER
        .iter()
        .zip(data.split(|b| *b == 0))
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect()
}
/// Files read when present.
pub const OPTIONAL: [&str; 4] = [CONTEXTS, MOBILITY, GRANDS_DOMAINES, DOMAINES];

/// Ends the missing-columns message of every ROME file.
const ROME_HINT: &str = " Est-ce bien un export ROME 4.0 ?";

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

/// One of the files that list items (competences, savoirs, work contexts).
struct ItemFile {
    file: &'static str,
    code: &'static str,
    label: &'static str,
    category: &'static str,
    /// Other columns the file must have.
    also: &'static [&'static str],
    kind: fn(&Row) -> ItemKind,
    macro_col: Option<&'static str>,
}

fn competence_kind(r: &Row) -> ItemKind {
    let cat = r.get("cat_comp");
    if cat.starts_with("Savoir-être") || cat.starts_with("Savoir-etre") {
        ItemKind::SavoirEtre
    } else if r.get("nature").starts_with("Macro") {
        ItemKind::MacroCompetence
    } else {
        ItemKind::SavoirFaire
    }
}

const ITEM_FILES: [ItemFile; 3] = [
    ItemFile {
        file: COMPETENCES,
        code: "code_ogr",
        label: "libelle_competence",
        category: "sous_cat_comp",
        also: &["nature", "cat_comp", "code_ogr_macro_comp"],
        kind: competence_kind,
        macro_col: Some("code_ogr_macro_comp"),
    },
    ItemFile {
        file: SAVOIRS,
        code: "code_ogr_savoir",
        label: "libelle_savoir",
        category: "categorie_savoir",
        also: &[],
        kind: |_| ItemKind::Savoir,
        macro_col: None,
    },
    ItemFile {
        file: CONTEXTS,
        code: "code_ogr",
        label: "libelle_cont_travail",
        category: "libelle_type_cont_trav",
        also: &[],
        kind: |_| ItemKind::Context,
        macro_col: None,
    },
];

/// Parses a release given as file name → bytes.
pub fn parse_files(files: &HashMap<String, Vec<u8>>) -> Result<RomeReference, ImportErrors> {
    let mut errs = ImportErrors::default();
    let mut out = RomeReference::default();
    let too_many = |errs: &ImportErrors| errs.0.len() >= MAX_PROBLEMS;
    for name in REQUIRED {
        if !files.contains_key(name) {
            errs.push(name, "", "fichier obligatoire absent.");
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }

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
        let Some(t) = Table::read(
            name,
            files,
            &[code_col, label_col],
            false,
            ROME_HINT,
            &mut errs,
        ) else {
            continue;
        };
        for r in t.rows() {
            if let (Some(code), Some(label)) = (
                r.required(code_col, &mut errs),
                r.required(label_col, &mut errs),
            ) {
                out.domains.push(RomeDomain {
                    code: code.to_string(),
                    label: label.to_string(),
                });
            }
        }
    }

    let mut job_codes = HashSet::new();
    if let Some(t) = Table::read(
        JOBS,
        files,
        &["code_rome", "libelle_rome"],
        false,
        ROME_HINT,
        &mut errs,
    ) {
        for r in t.rows() {
            let (Some(code), Some(label)) = (
                r.parsed("code_rome", &mut errs, RomeCode::parse),
                r.required("libelle_rome", &mut errs),
            ) else {
                continue;
            };
            if !job_codes.insert(code.clone()) {
                r.problem(&mut errs, "code_rome", format!("fiche {code} en double."));
                continue;
            }
            out.jobs.push(RomeJob {
                code,
                label: label.to_string(),
                parent: RomeCode::parse(r.get("code_rome_parent")).ok(),
            });
        }
    }
    if too_many(&errs) {
        return Err(errs);
    }

    let appellation_cols = [
        "code_ogr",
        "libelle_appellation_long",
        "libelle_appellation_court",
        "code_rome",
    ];
    if let Some(t) = Table::read(
        APPELLATIONS,
        files,
        &appellation_cols,
        false,
        ROME_HINT,
        &mut errs,
    ) {
        let mut seen = HashSet::new();
        for r in t.rows() {
            let (Some(code), Some(rome), Some(label)) = (
                r.parsed("code_ogr", &mut errs, OgrCode::parse),
                r.parsed("code_rome", &mut errs, RomeCode::parse),
                r.required("libelle_appellation_long", &mut errs),
            ) else {
                continue;
            };
            if !job_codes.contains(&rome) {
                r.problem(
                    &mut errs,
                    "code_rome",
                    format!("la fiche {rome} n'existe pas dans {JOBS}."),
                );
            } else if !seen.insert(code) {
                r.problem(
                    &mut errs,
                    "code_ogr",
                    format!("appellation {code} en double."),
                );
            } else {
                let short = r.get("libelle_appellation_court");
                out.appellations.push(RomeAppellation {
                    code,
                    label: label.to_string(),
                    short_label: if short.is_empty() { label } else { short }.to_string(),
                    rome,
                });
            }
        }
    }
    if too_many(&errs) {
        return Err(errs);
    }

    let mut item_codes = HashSet::new();
    for spec in &ITEM_FILES {
        let mut needed = vec![spec.code, spec.label, spec.category];
        needed.extend_from_slice(spec.also);
        let Some(t) = Table::read(spec.file, files, &needed, false, ROME_HINT, &mut errs) else {
            continue;
        };
        for r in t.rows() {
            let (Some(code), Some(label)) = (
                r.parsed(spec.code, &mut errs, OgrCode::parse),
                r.required(spec.label, &mut errs),
            ) else {
                continue;
            };
            if !item_codes.insert(code) {
                r.problem(&mut errs, spec.code, format!("élément {code} en double."));
                continue;
            }
            out.items.push(RomeItem {
                code,
                kind: (spec.kind)(&r),
                label: label.to_string(),
                macro_code: spec.macro_col.and_then(|c| OgrCode::parse(r.get(c)).ok()),
                category: r.get(spec.category).to_string(),
                definition: r.get("definition").to_string(),
            });
        }
        if too_many(&errs) {
            return Err(errs);
        }
    }

    if let Some(t) = Table::read(
        JOB_ITEMS,
        files,
        &["code_rome", "code_ogr", "coeur_metier"],
        false,
        ROME_HINT,
        &mut errs,
    ) {
        let mut seen = HashSet::new();
        for r in t.rows() {
            let (Some(rome), Some(item)) = (
                r.parsed("code_rome", &mut errs, RomeCode::parse),
                r.parsed("code_ogr", &mut errs, OgrCode::parse),
            ) else {
                continue;
            };
            if !job_codes.contains(&rome) {
                r.problem(
                    &mut errs,
                    "code_rome",
                    format!("la fiche {rome} n'existe pas dans {JOBS}."),
                );
            } else if !item_codes.contains(&item) {
                r.problem(
                    &mut errs,
                    "code_ogr",
                    format!("l'élément {item} n'existe dans aucun fichier d'éléments."),
                );
            } else if seen.insert((rome.clone(), item)) {
                let core = !r.get("coeur_metier").is_empty();
                out.job_items.push(RomeJobItem { rome, item, core });
            }
            if too_many(&errs) {
                return Err(errs);
            }
        }
    }

    if let Some(t) = Table::read(
        MOBILITY,
        files,
        &["code_rome", "code_rome_cible", "numero_ordre"],
        false,
        ROME_HINT,
        &mut errs,
    ) {
        let mut seen = HashSet::new();
        for r in t.rows() {
            let (Some(from), Some(to)) = (
                r.parsed("code_rome", &mut errs, RomeCode::parse),
                r.parsed("code_rome_cible", &mut errs, RomeCode::parse),
            ) else {
                continue;
            };
            let rank = r.get("numero_ordre").parse::<i32>().unwrap_or(0);
            if !job_codes.contains(&from) || !job_codes.contains(&to) {
                r.problem(
                    &mut errs,
                    "code_rome_cible",
                    format!("lien {from} → {to} vers une fiche inconnue."),
                );
            } else if seen.insert((from.clone(), to.clone())) {
                out.mobility.push(RomeMobility { from, to, rank });
            }
        }
    }

    errs.or_ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs the fuzzer once reported (`fixtures/fuzz/rome_csv`: the files one after the
    /// other, split by a zero byte, as the fuzz target reads them; this one was a timeout of a
    /// fuzzer starved of CPU, 5 ms when run alone): read to the end, no panic; when refused,
    /// each problem said in French.
    #[test]
    fn inputs_the_fuzzer_found_are_read_to_the_end() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz/rome_csv");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("the folder") {
            let data = std::fs::read(entry.expect("an entry").path()).expect("the input");
            if let Err(e) = parse_files(&files_of_one_input(&data)) {
                assert!(!e.0.is_empty());
                assert!(e.0.iter().all(|p| !p.message.is_empty()), "{e}");
            }
            seen += 1;
        }
        assert!(seen > 0);
    }

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
    fn a_missing_required_file_is_named() {
        let mut f = fixture();
        f.remove(SAVOIRS);
        let e = parse_files(&f).unwrap_err();
        assert!(e.to_string().contains(SAVOIRS), "{e}");
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
