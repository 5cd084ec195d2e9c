//! Employers, their sites and their offers, entered and changed by advisors in the browser:
//! the forms' checks, then the store.

use crate::store::{OfferToSave, Store, StoreError};
use dklik_domain::employer::{EmployerForm, EmployerInput, NewEmployer, NewSite};
use dklik_domain::{
    ContractType, Coordinates, Days, EmployerId, InseeCode, NewOffer, NewOfferInput, Offer,
    OfferStatus, OgrCode, Shift, SiteId, TimeOfDay, ValidationError,
};
use serde::Deserialize;

/// Why an employer or offer action failed.
#[derive(Debug, thiserror::Error)]
pub enum EmployersError {
    /// A form error, by field.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, msg: impl Into<String>) -> EmployersError {
    EmployersError::Invalid(ValidationError::single(field, msg))
}

/// Checks the form and adds the employer.
pub async fn create_employer(
    store: &dyn Store,
    form: &EmployerForm,
    now: i64,
) -> Result<EmployerId, EmployersError> {
    let input = EmployerInput::from_form(form).map_err(EmployersError::Invalid)?;
    match store.create_employer(&input, now).await {
        Err(StoreError::Conflict(_)) => Err(invalid(
            "nom",
            "Une entreprise porte déjà ce nom ou ce SIRET : cherchez-la dans la liste.",
        )),
        other => Ok(other?),
    }
}

/// Checks the form and changes the employer.
pub async fn update_employer(
    store: &dyn Store,
    id: EmployerId,
    form: &EmployerForm,
    now: i64,
) -> Result<(), EmployersError> {
    let input = EmployerInput::from_form(form).map_err(EmployersError::Invalid)?;
    match store.update_employer(id, &input, now).await {
        Err(StoreError::Conflict(_)) => Err(invalid(
            "nom",
            "Une autre entreprise porte déjà ce nom ou ce SIRET.",
        )),
        other => Ok(other?),
    }
}

/// The site form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SiteForm {
    /// Name.
    #[serde(default)]
    pub nom: String,
    /// Street address.
    #[serde(default)]
    pub adresse: String,
    /// Commune.
    #[serde(default)]
    pub commune: String,
    /// The commune's INSEE code.
    #[serde(default)]
    pub insee: String,
    /// Latitude (a dot or a comma).
    #[serde(default)]
    pub latitude: String,
    /// Longitude (a dot or a comma).
    #[serde(default)]
    pub longitude: String,
}

fn number(s: &str) -> Option<f64> {
    s.trim().replace(',', ".").parse::<f64>().ok()
}

/// Checks the form and adds the site to the employer.
pub async fn add_site(
    store: &dyn Store,
    employer: EmployerId,
    f: &SiteForm,
) -> Result<SiteId, EmployersError> {
    let mut errs = ValidationError::default();
    let insee = InseeCode::parse(&f.insee)
        .map_err(|m| errs.push("insee", m))
        .ok();
    let coordinates = match (number(&f.latitude), number(&f.longitude)) {
        (Some(lat), Some(lon)) => Coordinates::new(lat, lon)
            .map_err(|m| errs.push("latitude", m))
            .ok(),
        _ => {
            errs.push(
                "latitude",
                "Placez le site : choisissez une adresse proposée, cliquez sur le plan, ou tapez sa latitude et sa longitude (par exemple 51.0344 et 2.3768).",
            );
            None
        }
    };
    if f.nom.trim().is_empty() {
        errs.push(
            "nom",
            "Le nom du site est obligatoire (par exemple « Usine de Loon-Plage »).",
        );
    }
    if f.adresse.trim().is_empty() {
        errs.push("adresse", "L'adresse du site est obligatoire.");
    }
    errs.clone()
        .into_result()
        .map_err(EmployersError::Invalid)?;
    let (Some(insee), Some(coordinates)) = (insee, coordinates) else {
        return Err(EmployersError::Invalid(errs));
    };
    let site = NewSite::new(&f.nom, &f.adresse, &f.commune, insee, coordinates)
        .map_err(EmployersError::Invalid)?;
    match store.add_site(employer, &site).await {
        Err(StoreError::Conflict(_)) => Err(invalid("nom", "Ce site existe déjà.")),
        other => Ok(other?),
    }
}

/// The offer form as posted (French field names; up to three shifts).
#[derive(Debug, Clone, Default)]
pub struct OfferForm {
    /// Job title.
    pub intitule: String,
    /// The ROME appellation chosen (its OGR code).
    pub appellation: String,
    /// Description.
    pub description: String,
    /// The site's number.
    pub site: String,
    /// Contract (stored word).
    pub contrat: String,
    /// Hours per week.
    pub heures_semaine: String,
    /// Positions.
    pub postes: String,
    /// "oui" when open without a diploma.
    pub sans_diplome: String,
    /// Last day shown (YYYY-MM-DD), if any.
    pub date_fin: String,
    /// Shifts: the days ticked (0 = Monday), start and end (HH:MM).
    pub shifts: Vec<(Vec<String>, String, String)>,
    /// The key of this sending of a new offer's form (32 hex digits, given with the empty
    /// form): sent twice, it makes one offer.
    pub envoi: String,
}

/// How many shift rows the form has.
pub const SHIFT_ROWS: usize = 3;

impl OfferForm {
    /// Reads the posted pairs.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |k: &str| -> Vec<String> {
            pairs
                .iter()
                .filter(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        Self {
            intitule: get("intitule"),
            appellation: get("appellation"),
            description: get("description"),
            site: get("site"),
            contrat: get("contrat"),
            heures_semaine: get("heures_semaine"),
            postes: get("postes"),
            sans_diplome: get("sans_diplome"),
            date_fin: get("date_fin"),
            envoi: get("envoi"),
            shifts: (1..=SHIFT_ROWS)
                .map(|i| {
                    (
                        all(&format!("jours{i}")),
                        get(&format!("debut{i}")),
                        get(&format!("fin{i}")),
                    )
                })
                .collect(),
        }
    }

    /// The form filled from an offer (to change it).
    pub fn of(o: &Offer) -> Self {
        let mut shifts: Vec<(Vec<String>, String, String)> = o
            .shifts
            .iter()
            .take(SHIFT_ROWS)
            .map(|s| {
                (
                    (0..7u8)
                        .filter(|d| s.days.contains(*d))
                        .map(|d| d.to_string())
                        .collect(),
                    s.start.hhmm(),
                    s.end.hhmm(),
                )
            })
            .collect();
        shifts.resize(SHIFT_ROWS, Default::default());
        Self {
            intitule: o.title.clone(),
            appellation: o.appellation.map(|a| a.0.to_string()).unwrap_or_default(),
            description: o.description.clone(),
            site: o.site.id.0.to_string(),
            contrat: o.contract.as_str().into(),
            heures_semaine: o.weekly_hours.map(|h| h.to_string()).unwrap_or_default(),
            postes: o.positions.to_string(),
            sans_diplome: if o.no_diploma {
                "oui".into()
            } else {
                String::new()
            },
            date_fin: o.expires_on.map(|d| d.to_string()).unwrap_or_default(),
            shifts,
            envoi: String::new(),
        }
    }
}

fn parse_shifts(f: &OfferForm, errs: &mut ValidationError) -> Vec<Shift> {
    let mut out = Vec::new();
    for (i, (days, start, end)) in f.shifts.iter().enumerate() {
        let n = i + 1;
        if days.is_empty() && start.trim().is_empty() && end.trim().is_empty() {
            continue;
        }
        let mut bits = 0u8;
        for d in days {
            match d.parse::<u8>() {
                Ok(d) if d < 7 => bits |= 1 << d,
                _ => errs.push(format!("jours{n}"), "Jour inconnu."),
            }
        }
        if bits == 0 {
            errs.push(
                format!("jours{n}"),
                format!("Horaire {n} : cochez au moins un jour."),
            );
            continue;
        }
        let start = TimeOfDay::parse(start)
            .map_err(|m| errs.push(format!("debut{n}"), format!("Horaire {n}, début : {m}")));
        let end = TimeOfDay::parse(end)
            .map_err(|m| errs.push(format!("fin{n}"), format!("Horaire {n}, fin : {m}")));
        if let (Ok(start), Ok(end), Ok(days)) = (start, end, Days::from_bits(bits)) {
            match Shift::new(days, start, end) {
                Ok(s) => out.push(s),
                Err(m) => errs.push(format!("fin{n}"), format!("Horaire {n} : {m}")),
            }
        }
    }
    out
}

/// Checks an offer form against the employer's sites and the ROME reference; the offer to
/// save (with `items` kept from `existing` when it is changed).
pub async fn check_offer_form(
    store: &dyn Store,
    r: &crate::skills::SkillsRef,
    employer: EmployerId,
    f: &OfferForm,
    existing: Option<&Offer>,
) -> Result<OfferToSave, EmployersError> {
    let mut errs = ValidationError::default();
    let emp = store
        .employer(employer)
        .await?
        .ok_or(StoreError::NotFound)?;
    let sites = store.sites(employer).await?;
    let site = f
        .site
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| sites.iter().find(|s| s.id == SiteId(id)));
    if site.is_none() {
        errs.push(
            "site",
            "Choisissez le site où le poste se trouve (ajoutez-le d'abord s'il manque).",
        );
    }
    let appellation = f.appellation.trim().parse::<i64>().ok().map(OgrCode);
    let found = appellation.and_then(|code| r.appellations.iter().find(|a| a.code == code));
    if found.is_none() {
        errs.push(
            "code_rome",
            "Choisissez le métier dans le référentiel ROME (cherchez-le par son nom).",
        );
    }
    let contract = if f.contrat.trim().is_empty() {
        None
    } else {
        ContractType::parse(&f.contrat)
            .map_err(|m| errs.push("contrat", m))
            .ok()
    };
    let weekly_hours = if f.heures_semaine.trim().is_empty() {
        None
    } else {
        match number(&f.heures_semaine) {
            Some(h) => Some(h as f32),
            None => {
                errs.push(
                    "heures_semaine",
                    "Écrivez un nombre d'heures, par exemple 35.",
                );
                None
            }
        }
    };
    let positions = match f.postes.trim() {
        "" => 1,
        p => p.parse::<u32>().unwrap_or(0),
    };
    let expires_on = if f.date_fin.trim().is_empty() {
        None
    } else {
        match time::Date::parse(
            f.date_fin.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(d) if d >= crate::today_paris() => Some(d),
            Ok(_) => {
                errs.push("date_fin", "Cette date est passée.");
                None
            }
            Err(_) => {
                errs.push("date_fin", "Écrivez la date comme 2027-03-31.");
                None
            }
        }
    };
    let shifts = parse_shifts(f, &mut errs);
    let external_id = match existing {
        Some(o) => o.external_id.clone(),
        None if is_sending_key(&f.envoi) => Some(format!("dklik-{}", f.envoi)),
        None => Some(format!("dklik-{}", crate::callbacks::new_submission()?)),
    };
    let input = NewOfferInput {
        external_id,
        title: f.intitule.clone(),
        description: f.description.clone(),
        rome: found.map(|a| a.rome.clone()),
        appellation,
        appellation_label: found.map(|a| a.label.clone()).unwrap_or_default(),
        items: existing.map(|o| o.items.clone()).unwrap_or_default(),
        shifts,
        contract,
        weekly_hours,
        positions,
        no_diploma: f.sans_diplome == "oui",
        status: Some(match existing {
            Some(o) if o.status == OfferStatus::Published => OfferStatus::Published,
            _ => OfferStatus::Draft,
        }),
        expires_on,
    };
    // A change keeps the offer's state (under review, paused…): only the state buttons move it.
    let offer = NewOffer::new(input).map(|mut o| {
        if let Some(e) = existing {
            o.status = e.status;
        }
        o
    });
    if let Err(v) = &offer {
        for e in &v.errors {
            if !errs.errors.iter().any(|x| x.field == e.field) {
                errs.push(e.field.clone(), e.message.clone());
            }
        }
    }
    errs.clone()
        .into_result()
        .map_err(EmployersError::Invalid)?;
    let (Ok(offer), Some(site)) = (offer, site) else {
        return Err(EmployersError::Invalid(errs));
    };
    let employer = NewEmployer {
        name: emp.name.clone(),
        description: emp.description.clone(),
        fictional: emp.fictional,
    };
    let new_site = NewSite::from(site);
    let search_text = offer.search_text(&emp.name, &site.commune);
    Ok(OfferToSave {
        employer,
        site: new_site,
        offer,
        search_text,
    })
}

fn is_sending_key(k: &str) -> bool {
    k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Saves a new offer from the form, as a draft; returns it. The same sending twice (a double
/// click, a form sent again after a lost answer) makes one offer.
pub async fn create_offer(
    store: &dyn Store,
    r: &crate::skills::SkillsRef,
    employer: EmployerId,
    f: &OfferForm,
    actor: &str,
    now: i64,
) -> Result<Offer, EmployersError> {
    let mut f = f.clone();
    if is_sending_key(&f.envoi) {
        match store
            .offer_by_external_id(&format!("dklik-{}", f.envoi))
            .await?
        {
            Some(o) if o.employer_id == employer => return Ok(o),
            // Another employer's key: never theirs to reach; a key of its own instead.
            Some(_) => f.envoi.clear(),
            None => {}
        }
    }
    let f = &f;
    let save = check_offer_form(store, r, employer, f, None).await?;
    let external = save.offer.external_id.clone().unwrap_or_default();
    store.save_offers(std::slice::from_ref(&save)).await?;
    let offer = store
        .offer_by_external_id(&external)
        .await?
        .ok_or(StoreError::NotFound)?;
    store
        .add_audit(
            None,
            actor,
            "create",
            &format!("offer:{}", offer.id.0),
            "offre créée (brouillon)",
            now,
        )
        .await?;
    Ok(offer)
}

/// Saves the form over an existing offer (its needs kept).
pub async fn update_offer(
    store: &dyn Store,
    r: &crate::skills::SkillsRef,
    offer: &Offer,
    f: &OfferForm,
) -> Result<(), EmployersError> {
    if offer.status.is_final() {
        return Err(invalid(
            "intitule",
            "Cette offre est terminée : elle ne se modifie plus. Dupliquez-la pour en publier une nouvelle.",
        ));
    }
    if offer.external_id.is_none() {
        return Err(invalid(
            "intitule",
            "Cette offre vient d'un fichier sans identifiant : modifiez-la dans ce fichier et importez-le de nouveau.",
        ));
    }
    let save = check_offer_form(store, r, offer.employer_id, f, Some(offer)).await?;
    store.save_offers(std::slice::from_ref(&save)).await?;
    Ok(())
}

/// Moves an offer to `to`, recording who did it. An offer is published only with a site, at
/// least one shift and at least one need.
pub async fn change_status(
    store: &dyn Store,
    offer: &Offer,
    to: OfferStatus,
    actor: &str,
    now: i64,
) -> Result<(), EmployersError> {
    if matches!(to, OfferStatus::Published | OfferStatus::Review) {
        let mut errs = ValidationError::default();
        if offer.shifts.is_empty() {
            errs.push(
                "etat",
                "Indiquez au moins un horaire avant de publier l'offre.",
            );
        }
        if offer.items.is_empty() {
            errs.push(
                "etat",
                "Indiquez au moins une compétence attendue (page « Compétences ») avant de publier l'offre.",
            );
        }
        errs.into_result().map_err(EmployersError::Invalid)?;
    }
    match store
        .change_offer_status(offer.id, to, crate::today_paris(), actor, now)
        .await
    {
        Err(StoreError::Conflict(m)) => Err(invalid("etat", m)),
        other => Ok(other?),
    }
}

/// Whether an employer may make this change to its own offer: publish a draft (or send it
/// for review), take it back from review, pause and publish again, say it is filled, close it.
/// Approving an offer under review is an advisor's.
pub fn employer_may(from: OfferStatus, to: OfferStatus) -> bool {
    use OfferStatus::*;
    from.can_become(to) && !(from == Review && to == Published)
}

/// An employer's change to its own offer. "Publish" becomes "wait for review" when its
/// employer's offers are read by an advisor first. Returns the state reached.
pub async fn employer_change_status(
    store: &dyn Store,
    offer: &Offer,
    to: OfferStatus,
    actor: &str,
    now: i64,
) -> Result<OfferStatus, EmployersError> {
    let review = store
        .employer_card(offer.employer_id)
        .await?
        .is_some_and(|c| c.review_offers);
    let to = if to == OfferStatus::Published && offer.status == OfferStatus::Draft && review {
        OfferStatus::Review
    } else {
        to
    };
    if !employer_may(offer.status, to) {
        return Err(invalid(
            "etat",
            format!(
                "Une offre « {} » ne peut pas devenir « {} » depuis votre espace : demandez à votre conseiller.",
                offer.status.label_fr(),
                to.label_fr()
            ),
        ));
    }
    change_status(store, offer, to, actor, now).await?;
    Ok(to)
}

/// Appellations whose label holds every word typed (accents and case ignored), at most `max`.
pub fn search_appellations<'a>(
    all: &'a [dklik_domain::rome::RomeAppellation],
    typed: &str,
    max: usize,
) -> Vec<&'a dklik_domain::rome::RomeAppellation> {
    let words: Vec<String> = dklik_domain::text::fold(typed)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2)
        .map(str::to_string)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(usize, &dklik_domain::rome::RomeAppellation)> = all
        .iter()
        .filter_map(|a| {
            let label = dklik_domain::text::fold(&a.label);
            let label_words: Vec<&str> = label.split(|c: char| !c.is_alphanumeric()).collect();
            words
                .iter()
                .all(|w| label_words.iter().any(|l| l.starts_with(w.as_str())))
                .then_some((a.label.len(), a))
        })
        .collect();
    hits.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.label.cmp(&y.1.label)));
    hits.into_iter().take(max).map(|(_, a)| a).collect()
}

/// Closes the published and paused offers whose last day has passed (run once a day); how
/// many.
pub async fn expire_offers(
    store: &dyn Store,
    today: time::Date,
    now: i64,
) -> Result<usize, StoreError> {
    let mut n = 0;
    let mut open = store.published_offers(false).await?;
    open.extend(store.offers_in_status(OfferStatus::Paused).await?);
    for o in open {
        if o.expires_on.is_some_and(|d| d < today) {
            match store
                .change_offer_status(o.id, OfferStatus::Expired, today, "tâche quotidienne", now)
                .await
            {
                Ok(()) => n += 1,
                // Changed meanwhile by someone else: nothing to do.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(n)
}

/// A new draft with everything of `offer` (its needs too); returns it.
pub async fn duplicate_offer(
    store: &dyn Store,
    offer: &Offer,
    actor: &str,
    now: i64,
) -> Result<Offer, EmployersError> {
    let external = format!("dklik-{}", crate::callbacks::new_submission()?);
    let copy = NewOffer {
        external_id: Some(external.clone()),
        title: offer.title.clone(),
        description: offer.description.clone(),
        rome: offer.rome.clone(),
        appellation: offer.appellation,
        appellation_label: offer.appellation_label.clone(),
        items: offer.items.clone(),
        shifts: offer.shifts.clone(),
        contract: offer.contract,
        weekly_hours: offer.weekly_hours,
        positions: offer.positions,
        no_diploma: offer.no_diploma,
        status: OfferStatus::Draft,
        expires_on: offer.expires_on.filter(|d| *d >= crate::today_paris()),
    };
    let site = &offer.site;
    let save = OfferToSave {
        employer: NewEmployer {
            name: offer.employer_name.clone(),
            description: String::new(),
            fictional: offer.employer_fictional,
        },
        site: NewSite::from(site),
        search_text: copy.search_text(&offer.employer_name, &site.commune),
        offer: copy,
    };
    store.save_offers(std::slice::from_ref(&save)).await?;
    let new = store
        .offer_by_external_id(&external)
        .await?
        .ok_or(StoreError::NotFound)?;
    store
        .add_audit(
            None,
            actor,
            "create",
            &format!("offer:{}", new.id.0),
            &format!("copie de l'offre {}", offer.code),
            now,
        )
        .await?;
    Ok(new)
}

/// The published offers of the same trade on the same site as `offer` (other than it): an
/// advisor is warned before publishing the same post twice.
pub fn same_post<'a>(offer: &Offer, all: &'a [Offer]) -> Vec<&'a Offer> {
    all.iter()
        .filter(|o| {
            o.id != offer.id
                && o.status == OfferStatus::Published
                && o.site.id == offer.site.id
                && o.rome == offer.rome
                && o.appellation == offer.appellation
        })
        .collect()
}
