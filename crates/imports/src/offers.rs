//! Offer files: DKLIK's CSV template and France Travail's offer JSON.
//!
//! A reader checks everything it can without the database and returns [`RawOffer`]s; the use
//! case then checks the ROME codes against the stored reference. Problems are collected for the
//! whole file, so the person who sent it can fix everything in one go.

use crate::{ImportErrors, MAX_IMPORT_BYTES};
use dklik_domain::offer::NewOfferInput;
use dklik_domain::{
    ContractType, Coordinates, Importance, InseeCode, Level, OfferStatus, OgrCode, RomeCode, Shift,
};
use serde::Deserialize;
use std::collections::HashMap;

/// A required item as written in a file: by code (CSV, France Travail competences) or by label
/// (France Travail `qualitesProfessionnelles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    pub code: Option<OgrCode>,
    pub label: String,
    pub level: Level,
    pub importance: Importance,
}

/// One offer read from a file, checked except for what needs the ROME reference.
#[derive(Debug, Clone)]
pub struct RawOffer {
    /// Where it stands in the file, for error messages.
    pub place: String,
    pub employer: String,
    pub site_name: String,
    pub address: String,
    pub commune: String,
    pub insee: InseeCode,
    pub coordinates: Coordinates,
    pub input: NewOfferInput,
    pub items: Vec<RawItem>,
}

/// The columns of the CSV template, in order. `;` or `,` separated, UTF-8, header required.
pub const CSV_COLUMNS: [&str; 20] = [
    "id_externe",
    "entreprise",
    "site",
    "adresse",
    "commune",
    "code_insee",
    "latitude",
    "longitude",
    "intitule",
    "description",
    "code_rome",
    "appellation",
    "competences",
    "horaires",
    "contrat",
    "heures_semaine",
    "postes",
    "sans_diplome",
    "etat",
    "date_fin",
];

const CSV_REQUIRED: [&str; 12] = [
    "id_externe",
    "entreprise",
    "commune",
    "code_insee",
    "latitude",
    "longitude",
    "intitule",
    "code_rome",
    "competences",
    "horaires",
    "contrat",
    "postes",
];

/// Which reader a file needs, from its name and first bytes.
pub fn detect_json(name: &str, bytes: &[u8]) -> bool {
    let first = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    name.to_ascii_lowercase().ends_with(".json") || matches!(first, Some(b'[') | Some(b'{'))
}

/// Reads either format.
pub fn read(name: &str, bytes: &[u8]) -> Result<Vec<RawOffer>, ImportErrors> {
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        let mut e = ImportErrors::default();
        e.push(name, "", "fichier trop gros (64 Mo au plus).");
        return Err(e);
    }
    if detect_json(name, bytes) {
        read_france_travail_json(bytes)
    } else {
        read_csv(bytes)
    }
}

fn parse_f64(s: &str) -> Result<f64, String> {
    s.trim()
        .replace(',', ".")
        .parse::<f64>()
        .map_err(|_| format!("« {s} » n'est pas un nombre."))
}

fn parse_bool_fr(s: &str) -> Result<bool, String> {
    match dklik_domain::text::fold(s).trim() {
        "" | "non" | "no" | "false" | "0" | "n" => Ok(false),
        "oui" | "yes" | "true" | "1" | "o" => Ok(true),
        _ => Err(format!("« {s} » : écrivez oui ou non.")),
    }
}

fn parse_date(s: &str) -> Result<time::Date, String> {
    dklik_domain::calendar::parse_day(s)
}

/// Reads the CSV template (see the README for the columns).
pub fn read_csv(bytes: &[u8]) -> Result<Vec<RawOffer>, ImportErrors> {
    let mut errs = ImportErrors::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            errs.push(
                "fichier",
                "",
                format!(
                    "le fichier n'est pas en UTF-8 (octet invalide à la position {}). Enregistrez-le en « CSV UTF-8 ».",
                    e.valid_up_to()
                ),
            );
            return Err(errs);
        }
    };
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.contains(';') {
        b';'
    } else {
        b','
    };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match r.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errs.push("ligne 1", "", format!("en-tête illisible ({e})."));
            return Err(errs);
        }
    };
    let cols = crate::header_index(&headers, true);
    let missing = crate::missing_columns(&cols, &CSV_REQUIRED);
    if !missing.is_empty() {
        errs.push(
            "ligne 1",
            "",
            format!(
                "colonne(s) obligatoire(s) absente(s) : {}. Partez du modèle décrit dans le README.",
                missing.join(", ")
            ),
        );
        return Err(errs);
    }
    let mut out = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for rec in r.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errs.push(
                    &format!("ligne {line}"),
                    "",
                    format!("ligne CSV illisible ({e})."),
                );
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != headers.len() {
            errs.push(
                &format!("ligne {line}"),
                "",
                format!(
                    "{} champs au lieu de {} : vérifiez les séparateurs et les guillemets.",
                    rec.len(),
                    headers.len()
                ),
            );
            continue;
        }
        let place = format!("ligne {line}");
        let get = |c: &str| {
            cols.get(c)
                .and_then(|&i| rec.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let mut row = RowChecker {
            place: &place,
            errs: &mut errs,
        };
        for c in CSV_REQUIRED {
            if get(c).is_empty() {
                row.err(c, "valeur obligatoire manquante.");
            }
        }
        let id = get("id_externe").to_string();
        if !id.is_empty() {
            if let Some(prev) = ids.insert(id.clone(), line) {
                row.err(
                    "id_externe",
                    format!("l'identifiant « {id} » est déjà utilisé à la ligne {prev}."),
                );
            }
        }
        let insee = row.opt("code_insee", get("code_insee"), InseeCode::parse);
        let coords = match (
            row.opt("latitude", get("latitude"), parse_f64),
            row.opt("longitude", get("longitude"), parse_f64),
        ) {
            (Some(la), Some(lo)) => row.check("latitude", Coordinates::new(la, lo)),
            _ => None,
        };
        let rome = row.opt("code_rome", get("code_rome"), RomeCode::parse);
        let appellation = row.opt("appellation", get("appellation"), OgrCode::parse);
        let mut items = Vec::new();
        for part in get("competences")
            .split('|')
            .filter(|p| !p.trim().is_empty())
        {
            if let Some(it) = row.check("competences", parse_item_spec(part)) {
                items.push(it);
            }
        }
        let mut shifts = Vec::new();
        for part in get("horaires").split('|').filter(|p| !p.trim().is_empty()) {
            if let Some(s) = row.check("horaires", Shift::parse(part)) {
                shifts.push(s);
            }
        }
        let contract = row.opt("contrat", get("contrat"), ContractType::parse);
        let weekly_hours = row
            .opt("heures_semaine", get("heures_semaine"), parse_f64)
            .map(|h| h as f32);
        let positions = row
            .opt("postes", get("postes"), |s| {
                s.parse::<u32>()
                    .map_err(|_| format!("« {s} » : écrivez un nombre entier de postes."))
            })
            .unwrap_or(0);
        let no_diploma = row
            .check("sans_diplome", parse_bool_fr(get("sans_diplome")))
            .unwrap_or(false);
        let status = if get("etat").is_empty() {
            Some(OfferStatus::Published)
        } else {
            row.opt("etat", get("etat"), OfferStatus::parse)
        };
        let expires_on = row.opt("date_fin", get("date_fin"), parse_date);
        let (Some(insee), Some(coordinates)) = (insee, coords) else {
            continue;
        };
        let input = NewOfferInput {
            external_id: Some(id),
            title: get("intitule").to_string(),
            description: get("description").to_string(),
            rome,
            appellation,
            appellation_label: String::new(),
            items: Vec::new(),
            shifts,
            contract,
            weekly_hours,
            positions,
            no_diploma,
            status,
            expires_on,
        };
        out.push(RawOffer {
            place,
            employer: get("entreprise").to_string(),
            site_name: get("site").to_string(),
            address: get("adresse").to_string(),
            commune: get("commune").to_string(),
            insee,
            coordinates,
            input,
            items,
        });
    }
    finish(out, errs)
}

/// The offers read, or every problem; an empty file is a problem too.
fn finish(out: Vec<RawOffer>, mut errs: ImportErrors) -> Result<Vec<RawOffer>, ImportErrors> {
    if out.is_empty() && errs.is_empty() {
        errs.push("fichier", "", "aucune offre dans le fichier.");
    }
    errs.or_ok(out)
}

/// "100007:3:obligatoire" → code 100007, level 3, must. The level defaults to 2 and the
/// importance to "obligatoire".
fn parse_item_spec(s: &str) -> Result<RawItem, String> {
    let mut parts = s.split(':').map(str::trim);
    let code = OgrCode::parse(parts.next().unwrap_or(""))?;
    let level = match parts.next() {
        Some(l) if !l.is_empty() => Level::parse(l)?,
        _ => Level::DEFAULT,
    };
    let importance = match parts.next() {
        Some(i) if !i.is_empty() => Importance::parse(i)?,
        _ => Importance::Must,
    };
    if parts.next().is_some() {
        return Err(format!(
            "« {s} » : écrivez une compétence comme code:niveau:obligatoire, séparées par |."
        ));
    }
    Ok(RawItem {
        code: Some(code),
        label: String::new(),
        level,
        importance,
    })
}

/// Collects the problems of one row.
struct RowChecker<'a> {
    place: &'a str,
    errs: &'a mut ImportErrors,
}

impl RowChecker<'_> {
    fn err(&mut self, field: &str, msg: impl Into<String>) {
        self.errs.push(self.place, field, msg);
    }
    fn check<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.err(field, m)).ok()
    }
    /// Parses a value when present; an empty value gives None without complaint.
    fn opt<T>(
        &mut self,
        field: &str,
        v: &str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if v.trim().is_empty() {
            None
        } else {
            self.check(field, f(v))
        }
    }
}

// --- France Travail offer JSON -----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(untagged)]
enum FtFile {
    List(Vec<serde_json::Value>),
    Search { resultats: Vec<serde_json::Value> },
    One(Box<serde_json::Value>),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FtOffer {
    id: Option<String>,
    intitule: Option<String>,
    description: Option<String>,
    #[serde(rename = "romeCode")]
    rome_code: Option<String>,
    #[serde(rename = "appellationlibelle")]
    appellation_libelle: Option<String>,
    #[serde(rename = "lieuTravail")]
    lieu_travail: Option<FtLieu>,
    entreprise: Option<FtEntreprise>,
    competences: Vec<FtCompetence>,
    #[serde(rename = "qualitesProfessionnelles")]
    qualites: Vec<FtQualite>,
    #[serde(rename = "typeContrat")]
    type_contrat: Option<String>,
    #[serde(rename = "dureeTravailLibelle")]
    duree_travail: Option<String>,
    #[serde(rename = "nombrePostes")]
    nombre_postes: Option<u32>,
    /// Not in France Travail's shape: DKLIK's extension for shifts, "lun-ven 05:00-13:00|…".
    horaires: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FtLieu {
    libelle: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    commune: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FtEntreprise {
    nom: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FtCompetence {
    code: Option<String>,
    libelle: Option<String>,
    exigence: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FtQualite {
    libelle: Option<String>,
}

/// "35H Travail en équipe" → 35.0; "37H30/semaine" → 37.5.
fn weekly_hours_from_label(s: &str) -> Option<f32> {
    let t = s.trim().to_ascii_uppercase();
    let (h, rest) = t.split_once('H')?;
    let h: f32 = h.trim().parse().ok()?;
    let m: f32 = rest
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap_or(0.0);
    Some(h + m / 60.0)
}

/// Reads France Travail offers: an array of offers, a search response (`resultats`), or one offer.
pub fn read_france_travail_json(bytes: &[u8]) -> Result<Vec<RawOffer>, ImportErrors> {
    let mut errs = ImportErrors::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let values = match serde_json::from_slice::<FtFile>(bytes) {
        Ok(FtFile::List(v)) | Ok(FtFile::Search { resultats: v }) => v,
        Ok(FtFile::One(v)) => vec![*v],
        Err(e) => {
            errs.push(
                &format!("ligne {}, colonne {}", e.line(), e.column()),
                "",
                format!("JSON illisible ({e})."),
            );
            return Err(errs);
        }
    };
    let mut out = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (n, v) in values.into_iter().enumerate() {
        let n = n + 1;
        let id_hint = v
            .get("id")
            .and_then(|x| x.as_str())
            .map(|s| format!(" (id {})", s.chars().take(40).collect::<String>()))
            .unwrap_or_default();
        let place = format!("offre n° {n}{id_hint}");
        let o: FtOffer = match serde_json::from_value(v) {
            Ok(o) => o,
            Err(e) => {
                errs.push(&place, "", format!("forme inattendue ({e})."));
                continue;
            }
        };
        let mut row = RowChecker {
            place: &place,
            errs: &mut errs,
        };
        let id = o.id.clone().unwrap_or_default();
        if id.trim().is_empty() {
            row.err("id", "identifiant manquant.");
        } else if let Some(prev) = ids.insert(id.clone(), n) {
            row.err(
                "id",
                format!("l'identifiant « {id} » est déjà celui de l'offre n° {prev}."),
            );
        }
        let rome = match o.rome_code.as_deref() {
            Some(c) => row.check("romeCode", RomeCode::parse(c)),
            None => {
                row.err("romeCode", "code ROME manquant.");
                None
            }
        };
        let lieu = o.lieu_travail.unwrap_or_default();
        let insee = match lieu.commune.as_deref() {
            Some(c) => row.check("lieuTravail.commune", InseeCode::parse(c)),
            None => {
                row.err("lieuTravail.commune", "code commune INSEE manquant.");
                None
            }
        };
        let coords = match (lieu.latitude, lieu.longitude) {
            (Some(la), Some(lo)) => row.check("lieuTravail.latitude", Coordinates::new(la, lo)),
            _ => {
                row.err(
                    "lieuTravail.latitude",
                    "coordonnées manquantes : il faut latitude et longitude du lieu de travail.",
                );
                None
            }
        };
        let employer = o
            .entreprise
            .and_then(|e| e.nom)
            .unwrap_or_default()
            .trim()
            .to_string();
        if employer.is_empty() {
            row.err("entreprise.nom", "nom de l'entreprise manquant.");
        }
        let mut items = Vec::new();
        for (k, c) in o.competences.iter().enumerate() {
            let field = format!("competences[{}]", k + 1);
            let Some(code) = row.check(&field, OgrCode::parse(c.code.as_deref().unwrap_or("")))
            else {
                continue;
            };
            let importance = match c.exigence.as_deref().map(str::trim) {
                Some("S") => Importance::Nice,
                _ => Importance::Must,
            };
            items.push(RawItem {
                code: Some(code),
                label: c.libelle.clone().unwrap_or_default(),
                level: Level::DEFAULT,
                importance,
            });
        }
        for (k, q) in o.qualites.iter().enumerate() {
            let label = q.libelle.clone().unwrap_or_default();
            if label.trim().is_empty() {
                row.err(
                    &format!("qualitesProfessionnelles[{}]", k + 1),
                    "libellé manquant.",
                );
                continue;
            }
            items.push(RawItem {
                code: None,
                label,
                level: Level::DEFAULT,
                importance: Importance::Must,
            });
        }
        let mut shifts = Vec::new();
        for part in o
            .horaires
            .as_deref()
            .unwrap_or("")
            .split('|')
            .filter(|p| !p.trim().is_empty())
        {
            if let Some(s) = row.check("horaires", Shift::parse(part)) {
                shifts.push(s);
            }
        }
        let contract = match o.type_contrat.as_deref() {
            Some(c) => row.check("typeContrat", ContractType::parse(c)),
            None => {
                row.err("typeContrat", "type de contrat manquant.");
                None
            }
        };
        let (Some(insee), Some(coordinates)) = (insee, coords) else {
            continue;
        };
        let commune = lieu
            .libelle
            .as_deref()
            .map(|l| {
                l.split_once(" - ")
                    .map(|(_, c)| c)
                    .unwrap_or(l)
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        let input = NewOfferInput {
            external_id: Some(id),
            title: o.intitule.unwrap_or_default(),
            description: o.description.unwrap_or_default(),
            rome,
            appellation: None,
            appellation_label: o.appellation_libelle.unwrap_or_default(),
            items: Vec::new(),
            shifts,
            contract,
            weekly_hours: o.duree_travail.as_deref().and_then(weekly_hours_from_label),
            positions: o.nombre_postes.unwrap_or(1),
            no_diploma: false,
            status: Some(OfferStatus::Published),
            expires_on: None,
        };
        out.push(RawOffer {
            place: place.clone(),
            employer,
            site_name: String::new(),
            address: String::new(),
            commune: if commune.is_empty() {
                insee.as_str().to_string()
            } else {
                commune
            },
            insee,
            coordinates,
            input,
            items,
        });
    }
    finish(out, errs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin";

    #[test]
    fn reads_the_template() {
        let csv = format!("{HEADER}\nA1;Acier du Nord;Usine;1 rue du Port;Dunkerque;59183;51,03;2,37;Soudeur;Souder;H2913;;100100:3:obligatoire|300490;lun-ven 05:00-13:00|lun-ven 13:00-21:00;cdi;35;2;oui;;2027-06-30\n");
        let v = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(v.len(), 1);
        let o = &v[0];
        assert_eq!(o.items.len(), 2);
        assert_eq!(o.items[1].importance, Importance::Must);
        assert_eq!(o.input.shifts.len(), 2);
        assert!(o.input.no_diploma);
        assert_eq!(o.input.status, Some(OfferStatus::Published));
        assert!((o.coordinates.lat() - 51.03).abs() < 1e-9);
    }

    #[test]
    fn lists_every_error_with_line_and_field() {
        let csv = format!(
            "{HEADER}\nA1;Acier;;;Dunkerque;59183;95;2.37;Soudeur;;H2913;;100100:7;lun-ven 05:00-13:00;cdi;;1;;;\nA1;;;;Dunkerque;591;51;2;;;XX;;;;bof;;0;peut-être;;\n"
        );
        let e = read_csv(csv.as_bytes()).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("ligne 2, champ « latitude »"), "{s}");
        assert!(s.contains("ligne 2, champ « competences »"), "{s}");
        assert!(s.contains("ligne 3, champ « id_externe »"), "{s}");
        assert!(s.contains("ligne 3, champ « code_insee »"), "{s}");
        assert!(s.contains("ligne 3, champ « contrat »"), "{s}");
        assert!(s.contains("ligne 3, champ « sans_diplome »"), "{s}");
        assert!(s.contains("ligne 3, champ « code_rome »"), "{s}");
    }

    #[test]
    fn refuses_missing_columns_and_wrong_encoding() {
        assert!(read_csv(b"a;b\n1;2\n")
            .unwrap_err()
            .to_string()
            .contains("entreprise"));
        assert!(read_csv(b"\xff\xfe;;\n")
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
    }

    #[test]
    fn reads_france_travail_json() {
        let json = r#"{"resultats":[{"id":"181XKLM","intitule":"Cariste H/F","description":"Conduite de chariot","romeCode":"N1101","appellationlibelle":"Cariste","lieuTravail":{"libelle":"59 - DUNKERQUE","latitude":51.03,"longitude":2.37,"commune":"59183"},"entreprise":{"nom":"Logi Port"},"competences":[{"code":"121581","libelle":"Charger un véhicule","exigence":"E"},{"code":"122030","libelle":"x","exigence":"S"}],"qualitesProfessionnelles":[{"libelle":"Faire preuve de rigueur et de précision","description":"..."}],"typeContrat":"MIS","dureeTravailLibelle":"35H30 Travail en équipe","nombrePostes":3,"unknownField":true}]}"#;
        let v = read_france_travail_json(json.as_bytes()).unwrap();
        assert_eq!(v.len(), 1);
        let o = &v[0];
        assert_eq!(o.commune, "DUNKERQUE");
        assert_eq!(o.input.contract, Some(ContractType::Interim));
        assert_eq!(o.input.weekly_hours, Some(35.5));
        assert_eq!(o.input.positions, 3);
        assert_eq!(o.items.len(), 3);
        assert_eq!(o.items[1].importance, Importance::Nice);
        assert_eq!(o.items[2].code, None);
    }

    #[test]
    fn json_errors_name_the_record() {
        let json = r#"[{"id":"A","romeCode":"N1101","lieuTravail":{"commune":"59183"},"entreprise":{"nom":"X"},"typeContrat":"CDI"},{"id":"A","romeCode":"NX","typeContrat":"???"}]"#;
        let e = read_france_travail_json(json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("offre n° 1 (id A), champ « lieuTravail.latitude »"),
            "{e}"
        );
        assert!(e.contains("offre n° 2 (id A), champ « id »"), "{e}");
        assert!(e.contains("champ « romeCode »"), "{e}");
        assert!(e.contains("champ « typeContrat »"), "{e}");
        let e = read_france_travail_json(b"{not json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("JSON illisible"), "{e}");
    }
}
