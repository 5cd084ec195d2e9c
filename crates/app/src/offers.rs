//! Offers: import from files, search for the public list.

use crate::store::{OfferPage, OfferToSave, SaveOutcome, Store, StoreError};
use dklik_domain::text::{fold, terms};
use dklik_domain::{
    ContractType, ItemKind, NewEmployer, NewOffer, NewSite, OfferFilter, OgrCode, RequiredItem,
    RomeCode, ShiftPeriod,
};
use dklik_imports::offers::RawOffer;
use dklik_imports::ImportErrors;
use std::collections::{HashMap, HashSet};

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows refused, with their errors.
    #[error("{0}")]
    Invalid(ImportErrors),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks raw offers against the ROME reference and writes them all, or nothing when any is bad.
pub async fn import_offers(
    store: &dyn Store,
    raw: Vec<RawOffer>,
    fictional: bool,
) -> Result<SaveOutcome, ImportError> {
    let mut errs = ImportErrors::default();
    let romes: Vec<RomeCode> = raw
        .iter()
        .filter_map(|r| r.input.rome.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let codes: Vec<OgrCode> = raw
        .iter()
        .flat_map(|r| r.items.iter().filter_map(|i| i.code))
        .chain(raw.iter().filter_map(|r| r.input.appellation))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let known_jobs: HashSet<RomeCode> = store
        .rome_jobs(&romes)
        .await?
        .into_iter()
        .map(|j| j.code)
        .collect();
    let items: HashMap<OgrCode, dklik_domain::rome::RomeItem> = store
        .rome_items(&codes)
        .await?
        .into_iter()
        .map(|i| (i.code, i))
        .collect();
    let savoir_etre: HashMap<String, dklik_domain::rome::RomeItem> = store
        .rome_savoir_etre()
        .await?
        .into_iter()
        .map(|i| {
            (
                fold(&i.label)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                i,
            )
        })
        .collect();
    let appellations = store.rome_appellations(&romes).await?;
    if known_jobs.is_empty() && !romes.is_empty() && savoir_etre.is_empty() {
        errs.push(
            "référentiel",
            "",
            "le référentiel ROME n'est pas chargé : lancez d'abord « dklik import rome DOSSIER ».",
        );
        return Err(ImportError::Invalid(errs));
    }

    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let place = r.place.clone();
        let mut input = r.input;
        if let Some(rome) = &input.rome {
            if !known_jobs.contains(rome) {
                errs.push(
                    &place,
                    "code_rome",
                    format!("le code ROME {rome} n'existe pas dans le référentiel."),
                );
            }
        }
        // Appellation: a code must belong to the offer's job sheet; a label is matched when it can be.
        if let Some(code) = input.appellation {
            match appellations.iter().find(|a| a.code == code) {
                Some(a) if Some(&a.rome) == input.rome.as_ref() => {
                    input.appellation_label = a.label.clone();
                }
                Some(a) => errs.push(
                    &place,
                    "appellation",
                    format!(
                        "l'appellation {code} appartient à la fiche {}, pas à celle de l'offre.",
                        a.rome
                    ),
                ),
                None => errs.push(
                    &place,
                    "appellation",
                    format!("l'appellation {code} n'existe pas dans le référentiel."),
                ),
            }
        } else if !input.appellation_label.is_empty() {
            let wanted = fold(&input.appellation_label);
            if let Some(a) = appellations.iter().find(|a| {
                Some(&a.rome) == input.rome.as_ref()
                    && (fold(&a.label) == wanted || fold(&a.short_label) == wanted)
            }) {
                input.appellation = Some(a.code);
            }
        }
        let mut required = Vec::new();
        for it in &r.items {
            let found = match it.code {
                Some(code) => match items.get(&code) {
                    Some(i) => Some(i),
                    None => {
                        errs.push(
                            &place,
                            "competences",
                            format!("l'élément ROME {code} n'existe pas dans le référentiel."),
                        );
                        None
                    }
                },
                None => {
                    let key = fold(&it.label)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    match savoir_etre.get(&key) {
                        Some(i) => Some(i),
                        None => {
                            errs.push(
                                &place,
                                "qualitesProfessionnelles",
                                format!(
                                    "« {} » n'est pas un des 16 savoir-être du ROME.",
                                    it.label
                                ),
                            );
                            None
                        }
                    }
                }
            };
            if let Some(i) = found {
                if !i.kind.requirable() {
                    errs.push(
                        &place,
                        "competences",
                        format!("l'élément {} (« {} ») est un {} : une offre demande des savoir-faire, des savoirs ou des savoir-être.", i.code, i.label, i.kind.label_fr().to_lowercase()),
                    );
                    continue;
                }
                required.push(RequiredItem {
                    code: i.code,
                    kind: i.kind,
                    label: i.label.clone(),
                    level: it.level,
                    importance: it.importance,
                });
            }
        }
        input.items = required;
        let employer = NewEmployer::new(&r.employer, "", fictional);
        let site = NewSite::new(&r.site_name, &r.address, &r.commune, r.insee, r.coordinates);
        let offer = NewOffer::new(input);
        match (employer, site, offer) {
            (Ok(employer), Ok(site), Ok(offer)) => {
                let search_text = offer.search_text(&employer.name, &site.commune);
                out.push(OfferToSave {
                    employer,
                    site,
                    offer,
                    search_text,
                });
            }
            (e, s, o) => {
                for v in [e.err(), s.err(), o.err()].into_iter().flatten() {
                    for fe in v.errors {
                        errs.push(&place, &fe.field, fe.message);
                    }
                }
            }
        }
    }
    if !errs.is_empty() {
        return Err(ImportError::Invalid(errs));
    }
    Ok(store.save_offers(&out).await?)
}

/// The public list's query, as typed in the address bar; every field is optional.
/// Its description in the API document comes from these fields (`dklik_web::openapi`); the
/// limits given there are those `check_strict` enforces.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct OfferQuery {
    /// Mots cherchés (accents, majuscules et pluriels ignorés).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub q: String,
    /// Code commune INSEE (vide : toutes).
    #[serde(default)]
    #[schemars(pattern(r"^([0-9]{5}|2[AB][0-9]{3})?$"))]
    pub commune: String,
    /// Lettre du grand domaine ROME (vide : toutes).
    #[serde(default)]
    #[schemars(pattern(r"^[A-Z]?$"))]
    pub famille: String,
    /// Type de contrat (vide : tous).
    #[serde(default)]
    #[schemars(extend("enum" = ["", "cdi", "cdd", "interim", "apprentissage", "professionnalisation", "saisonnier", "autre"]))]
    pub contrat: String,
    /// Heure de début d'un des postes (vide : toutes).
    #[serde(default)]
    #[schemars(extend("enum" = ["", "tot", "matin", "apres-midi", "nuit"]))]
    pub horaire: String,
    /// 1 : seulement les offres sans diplôme exigé.
    #[serde(default)]
    #[schemars(extend("enum" = ["", "1"]))]
    pub sans_diplome: String,
    /// Code de fiche ROME (vide : tous).
    #[serde(default)]
    #[schemars(pattern(r"^([A-N][0-9]{4})?$"))]
    pub metier: String,
    /// Seulement les offres accessibles en bus depuis ce quartier (sa clé, `q…`, ou son nom) :
    /// un bus à l'aller avant l'embauche et au retour après, pour au moins un horaire (un lieu
    /// inconnu est ignoré, comme les autres filtres).
    #[serde(default)]
    #[schemars(length(max = 120))]
    pub depuis: String,
    /// Page (20 offres par page).
    #[serde(default)]
    #[schemars(with = "u32", range(min = 1, max = 10_000))]
    pub page: String,
}

/// Offers per page of the public list.
pub const PAGE_SIZE: u32 = 20;

impl OfferQuery {
    /// Builds the store filter. Unknown filter values are ignored rather than refused: a link
    /// copied with a stale value still shows offers.
    pub fn to_filter(&self) -> OfferFilter {
        let q: String = self.q.chars().take(200).collect();
        let page = self
            .page
            .trim()
            .parse::<u32>()
            .unwrap_or(1)
            .clamp(1, 10_000);
        OfferFilter {
            terms: terms(&q).into_iter().take(8).collect(),
            insee: dklik_domain::InseeCode::parse(&self.commune)
                .ok()
                .map(|c| c.as_str().to_string()),
            family: {
                let f = self.famille.trim();
                (f.len() == 1 && f.chars().all(|c| c.is_ascii_uppercase()))
                    .then(|| f.chars().next())
                    .flatten()
            },
            contract: ContractType::parse(&self.contrat).ok(),
            period: ShiftPeriod::parse(self.horaire.trim()),
            no_diploma: matches!(self.sans_diplome.as_str(), "1" | "on" | "oui" | "true"),
            employer: None,
            rome: dklik_domain::RomeCode::parse(&self.metier).ok(),
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
        }
    }
    /// For the API, where a caller is a program: every filter given must be valid, each
    /// problem said in French (pages stay lenient, see [`Self::to_filter`]).
    pub fn check_strict(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        let given = |s: &str| !s.is_empty();
        if given(&self.commune) && dklik_domain::InseeCode::parse(&self.commune).is_err() {
            errs.push(format!(
                "commune : « {} » n'est pas un code INSEE (ex. 59183).",
                self.commune
            ));
        }
        if given(&self.famille)
            && !(self.famille.len() == 1 && self.famille.chars().all(|c| c.is_ascii_uppercase()))
        {
            errs.push("famille : une lettre majuscule (grand domaine ROME, ex. H).".into());
        }
        if given(&self.contrat) && ContractType::parse(&self.contrat).is_err() {
            errs.push("contrat : cdi, cdd, interim, apprentissage, professionnalisation, saisonnier ou autre.".into());
        }
        if given(&self.horaire) && ShiftPeriod::parse(&self.horaire).is_none() {
            errs.push("horaire : tot, matin, apres-midi ou nuit.".into());
        }
        if given(&self.sans_diplome) && self.sans_diplome != "1" {
            errs.push("sans_diplome : 1, ou rien.".into());
        }
        if given(&self.metier) && dklik_domain::RomeCode::parse(&self.metier).is_err() {
            errs.push("metier : un code ROME (ex. H2913).".into());
        }
        if self.depuis.chars().count() > 120 {
            errs.push("depuis : le nom d'un quartier, 120 caractères au plus.".into());
        }
        if given(&self.page)
            && !self
                .page
                .parse::<u32>()
                .is_ok_and(|p| (1..=10_000).contains(&p))
        {
            errs.push("page : un nombre de 1 à 10 000.".into());
        }
        if self.q.chars().count() > 200 {
            errs.push("q : 200 caractères au plus.".into());
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
    /// The page asked for, from 1.
    pub fn page(&self) -> u32 {
        self.page
            .trim()
            .parse::<u32>()
            .unwrap_or(1)
            .clamp(1, 10_000)
    }
}

/// One page of published offers matching the query, through SQL.
pub async fn search_offers(store: &dyn Store, q: &OfferQuery) -> Result<OfferPage, StoreError> {
    store.list_offers(&q.to_filter()).await
}

/// The savoir-être of an offer come last on its page; this keeps the ROME order otherwise.
pub fn kinds_in_page_order() -> [ItemKind; 3] {
    [
        ItemKind::SavoirFaire,
        ItemKind::Savoir,
        ItemKind::SavoirEtre,
    ]
}
