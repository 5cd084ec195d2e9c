//! The places people start bus journeys from and are counted by: the territory's communes and
//! neighbourhoods (priority ones marked), each with a representative point. A CSV file, `;` or
//! `,` separated, UTF-8, with the header `nom;commune;code_insee;qpv;latitude;longitude`
//! (`qpv`: oui / non). `territoire/lieux-dunkerque.csv` is the one for the Dunkerque territory.

use crate::ImportErrors;
use dklik_domain::skills::Neighbourhood;
use dklik_domain::{Coordinates, InseeCode};

/// The columns, in order.
pub const COLUMNS: [&str; 6] = [
    "nom",
    "commune",
    "code_insee",
    "qpv",
    "latitude",
    "longitude",
];

/// One place as typed (a file's row or the admin form), unchecked.
#[derive(Debug, Clone, Default)]
pub struct PlaceFields {
    /// Its name.
    pub nom: String,
    /// Its commune.
    pub commune: String,
    /// The commune's INSEE code.
    pub code_insee: String,
    /// "oui" for a priority neighbourhood (QPV).
    pub qpv: String,
    /// Latitude (a dot or a comma).
    pub latitude: String,
    /// Longitude (a dot or a comma).
    pub longitude: String,
}

/// Checks one place; every problem by field, in French.
pub fn check(f: &PlaceFields) -> Result<Neighbourhood, Vec<(&'static str, String)>> {
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let name = f.nom.trim();
    if name.is_empty() || name.chars().count() > 80 {
        errs.push((
            "nom",
            "le nom est obligatoire (80 caractères au plus).".into(),
        ));
    }
    let commune = f.commune.trim();
    if commune.is_empty() || commune.chars().count() > 80 {
        errs.push((
            "commune",
            "la commune est obligatoire (80 caractères au plus).".into(),
        ));
    }
    let insee = InseeCode::parse(f.code_insee.trim()).map_err(|m| errs.push(("code_insee", m)));
    let qpv = match dklik_domain::text::fold(&f.qpv).trim() {
        "oui" | "1" | "qpv" => true,
        "non" | "0" | "" => false,
        other => {
            errs.push((
                "qpv",
                format!("« {other} » : écrivez oui (quartier prioritaire) ou non."),
            ));
            false
        }
    };
    let number = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
    let point = match (number(&f.latitude), number(&f.longitude)) {
        (Some(la), Some(lo)) => Coordinates::new(la, lo)
            .map_err(|m| errs.push(("latitude", m)))
            .ok(),
        _ => {
            errs.push((
                "latitude",
                "latitude et longitude en degrés décimaux, par exemple 51.0344 et 2.3768.".into(),
            ));
            None
        }
    };
    match (insee, point) {
        (Ok(insee), Some(p)) if errs.is_empty() => Ok(Neighbourhood {
            id: 0,
            name: name.to_string(),
            commune: commune.to_string(),
            insee: insee.as_str().to_string(),
            qpv,
            lat: p.lat(),
            lon: p.lon(),
            fictional: false,
        }),
        _ => Err(errs),
    }
}

/// Reads a places file; refused whole when a row is wrong (every problem listed).
pub fn read(bytes: &[u8]) -> Result<Vec<Neighbourhood>, ImportErrors> {
    let mut errs = ImportErrors::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        errs.push("fichier", "", "le fichier n'est pas en UTF-8.");
        return Err(errs);
    };
    let delimiter = if text.lines().next().unwrap_or("").contains(';') {
        b';'
    } else {
        b','
    };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let cols = match r.headers() {
        Ok(h) => crate::header_index(h, true),
        Err(e) => {
            errs.push("ligne 1", "", format!("en-tête illisible ({e})."));
            return Err(errs);
        }
    };
    let missing = crate::missing_columns(&cols, &COLUMNS);
    if !missing.is_empty() {
        errs.push(
            "ligne 1",
            "",
            format!(
                "colonne(s) absente(s) : {} (en-tête attendu : {}).",
                missing.join(", "),
                COLUMNS.join(";")
            ),
        );
        return Err(errs);
    }
    let mut out: Vec<Neighbourhood> = Vec::new();
    for rec in r.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errs.push(
                    &format!("ligne {line}"),
                    "",
                    format!("ligne illisible ({e})."),
                );
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let place = format!("ligne {}", rec.position().map(|p| p.line()).unwrap_or(0));
        let get = |c: &str| {
            cols.get(c)
                .and_then(|&i| rec.get(i))
                .unwrap_or("")
                .to_string()
        };
        let f = PlaceFields {
            nom: get("nom"),
            commune: get("commune"),
            code_insee: get("code_insee"),
            qpv: get("qpv"),
            latitude: get("latitude"),
            longitude: get("longitude"),
        };
        match check(&f) {
            Ok(n) => {
                if out.iter().any(|o| o.insee == n.insee && o.name == n.name) {
                    errs.push(
                        &place,
                        "nom",
                        format!("« {} » est déjà plus haut pour cette commune.", n.name),
                    );
                } else {
                    out.push(n);
                }
            }
            Err(v) => {
                for (field, m) in v {
                    errs.push(&place, field, m);
                }
            }
        }
    }
    if out.is_empty() && errs.is_empty() {
        errs.push("fichier", "", "aucun lieu dans le fichier.");
    }
    errs.or_ok(out)
}

#[cfg(test)]
mod tests {

    /// Inputs the fuzzer once reported (`fixtures/fuzz/places_csv`; this one was a timeout
    /// of a fuzzer starved of CPU, 2 ms when run alone): each gives French errors, no panic.
    #[test]
    fn inputs_the_fuzzer_found_are_refused_in_french() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz/places_csv");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("the folder") {
            let bytes = std::fs::read(entry.expect("an entry").path()).expect("the input");
            let errors = read(&bytes).expect_err("not a valid places file");
            assert!(!errors.0.is_empty());
            assert!(errors.to_string().contains("ligne"), "{errors}");
            seen += 1;
        }
        assert!(seen > 0);
    }
    use super::*;

    #[test]
    fn reads_places_and_names_every_problem() {
        let ok = "nom;commune;code_insee;qpv;latitude;longitude\nDunkerque;Dunkerque;59183;non;51,0343;2.3768\nEurope;Grande-Synthe;59271;oui;51.0117;2.2920\n";
        let v = read(ok.as_bytes()).expect("reads");
        assert_eq!(v.len(), 2);
        assert!(v[1].qpv && !v[0].qpv);
        assert!((v[0].lat - 51.0343).abs() < 1e-9);
        let bad = "nom,commune,code_insee,qpv,latitude,longitude\n,Dunkerque,591,peut-être,91,2\nEurope,Grande-Synthe,59271,oui,51.0117,2.2920\nEurope,Grande-Synthe,59271,oui,51.0117,2.2920\n";
        let e = read(bad.as_bytes()).expect_err("refused");
        let fields: Vec<(&str, &str)> =
            e.0.iter()
                .map(|p| (p.place.as_str(), p.field.as_str()))
                .collect();
        for want in [
            ("ligne 2", "nom"),
            ("ligne 2", "code_insee"),
            ("ligne 2", "qpv"),
            ("ligne 2", "latitude"),
            ("ligne 4", "nom"),
        ] {
            assert!(fields.contains(&want), "{want:?} in {fields:?}");
        }
        assert!(read(b"nom;commune\nx;y\n").is_err());
    }

    #[test]
    fn the_territory_file_reads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../territoire/lieux-dunkerque.csv");
        let bytes = std::fs::read(path).expect("the territory's places");
        let v = read(&bytes).expect("reads");
        assert!(v.len() >= 15, "{}", v.len());
        assert!(v
            .iter()
            .any(|p| p.name == "Dunkerque" && p.insee == "59183"));
    }
}
