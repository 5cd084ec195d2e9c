//! What the programme team sets for the bus screens, checked before it is stored: campaigns
//! (which offers, when, on which lines, how strongly), GPS fences around hiring sites, the
//! registry of physical screens, and the messages shown when no offer is near.

use crate::store::{CampaignRecord, ScreenMessage, ScreenRecord, Store, StoreError};
use dklik_domain::calendar::parse_day;
use dklik_domain::{OfferId, ShortCode, SiteId, TimeOfDay, ValidationError};

/// Why a screen setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A form error, by field.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ValidationError> for SettingsError {
    fn from(v: ValidationError) -> Self {
        Self::Invalid(v)
    }
}

/// A campaign as typed in the form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    /// Name.
    pub nom: String,
    /// Offer codes, separated by spaces or commas.
    pub offres: String,
    /// First day.
    pub du: String,
    /// Last day.
    pub au: String,
    /// Daily start (HH:MM).
    pub de: String,
    /// Daily end (HH:MM).
    pub a: String,
    /// Weight.
    pub poids: String,
    /// Route ids separated by spaces or commas; empty: every line.
    pub lignes: String,
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|w| !w.is_empty())
}

/// Checks a campaign and stores it. Every offer code must name an existing offer.
pub async fn add_campaign(
    store: &dyn Store,
    f: &CampaignForm,
    at: i64,
) -> Result<i64, SettingsError> {
    let mut errs = ValidationError::default();
    let name = f.nom.trim();
    if name.is_empty() || name.chars().count() > 120 {
        errs.push(
            "nom",
            "Donnez un nom à la campagne (120 caractères au plus).",
        );
    }
    let mut offer_ids: Vec<OfferId> = Vec::new();
    let codes: Vec<&str> = words(&f.offres).collect();
    if codes.is_empty() {
        errs.push(
            "offres",
            "Indiquez au moins un code d'offre, par exemple K7M3QH.",
        );
    }
    if codes.len() > 200 {
        errs.push("offres", "200 offres au plus par campagne.");
    }
    for c in codes.iter().take(200) {
        match ShortCode::parse(c) {
            Ok(code) => match store.offer_by_code(&code).await? {
                Some(o) if !offer_ids.contains(&o.id) => offer_ids.push(o.id),
                Some(_) => {}
                None => errs.push("offres", format!("Aucune offre n'a le code {code}.")),
            },
            Err(m) => errs.push("offres", m),
        }
    }
    let from = errs.check("du", parse_day(&f.du));
    let to = errs.check("au", parse_day(&f.au));
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            errs.push("au", "La fin de la campagne est avant son début.");
        } else if (b - a).whole_days() > 366 {
            errs.push("au", "Une campagne dure un an au plus.");
        }
    }
    let from_minute = if f.de.trim().is_empty() {
        Some(0)
    } else {
        errs.check("de", TimeOfDay::parse(&f.de))
            .map(|t| t.minutes())
    };
    let to_minute = if f.a.trim().is_empty() {
        Some(24 * 60)
    } else {
        errs.check("a", TimeOfDay::parse(&f.a)).map(|t| t.minutes())
    };
    if let (Some(a), Some(b)) = (from_minute, to_minute) {
        if b <= a {
            errs.push(
                "a",
                "L'heure de fin doit être après l'heure de début (même jour).",
            );
        }
    }
    let weight = if f.poids.trim().is_empty() {
        Some(1.0)
    } else {
        match f.poids.trim().replace(',', ".").parse::<f64>() {
            Ok(w) if (0.1..=10.0).contains(&w) => Some(w),
            _ => {
                errs.push("poids", "Le poids est un nombre de 0,1 à 10 (1 : normal).");
                None
            }
        }
    };
    let lines: Vec<String> = words(&f.lignes).map(str::to_string).collect();
    if lines.iter().any(|l| l.len() > 64) || lines.len() > 50 {
        errs.push(
            "lignes",
            "Identifiants de lignes trop longs ou trop nombreux.",
        );
    }
    errs.clone().into_result()?;
    let (Some(from), Some(to), Some(from_minute), Some(to_minute), Some(weight)) =
        (from, to, from_minute, to_minute, weight)
    else {
        return Err(errs.into());
    };
    let id = store
        .add_campaign(
            &CampaignRecord {
                id: 0,
                name: name.to_string(),
                offer_ids,
                from,
                to,
                from_minute,
                to_minute,
                weight,
                lines,
            },
            at,
        )
        .await?;
    Ok(id)
}

/// A fence of `radius` metres (as typed) around a site of an existing employer.
pub async fn set_fence(
    store: &dyn Store,
    site: &str,
    radius: &str,
    at: i64,
) -> Result<(), SettingsError> {
    let mut errs = ValidationError::default();
    let site_id = site.trim().parse::<i64>().ok().map(SiteId);
    let known = match site_id {
        Some(id) => {
            let mut found = false;
            for e in store.employers().await? {
                if store.sites(e.employer.id).await?.iter().any(|s| s.id == id) {
                    found = true;
                    break;
                }
            }
            found
        }
        None => false,
    };
    if !known {
        errs.push("site", "Choisissez un site d'entreprise dans la liste.");
    }
    let r = match radius.trim().parse::<f64>() {
        Ok(r) if (50.0..=3000.0).contains(&r) => Some(r),
        _ => {
            errs.push("rayon", "Le rayon est un nombre de mètres, de 50 à 3 000.");
            None
        }
    };
    errs.into_result()?;
    if let (Some(id), Some(r)) = (site_id, r) {
        store.set_fence(id, r, at).await?;
    }
    Ok(())
}

/// A physical screen as the admins register it.
#[derive(Debug, Clone, Default)]
pub struct ScreenForm {
    /// Its address `/ecran/{id}`.
    pub id: String,
    /// Its vehicle, as the positions name it.
    pub vehicle: String,
    /// Its name for the team.
    pub label: String,
    /// The line it serves (empty: unknown).
    pub line: String,
    /// The part of the page it may use ([`crate::screen_health::Region`]'s name).
    pub region: String,
}

/// Registers a physical screen on board a vehicle.
pub async fn add_screen(store: &dyn Store, f: &ScreenForm, at: i64) -> Result<(), SettingsError> {
    let (id, vehicle, label) = (f.id.as_str(), f.vehicle.as_str(), f.label.as_str());
    let mut errs = ValidationError::default();
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if !ok(id.trim()) {
        errs.push(
            "ecran",
            "Identifiant d'écran : lettres sans accent, chiffres, tiret, point ou souligné, 64 au plus.",
        );
    }
    if !ok(vehicle.trim()) {
        errs.push(
            "vehicule",
            "Identifiant de véhicule : celui que le flux de positions envoie (lettres, chiffres, tiret…).",
        );
    }
    if label.trim().chars().count() > 80 {
        errs.push("libelle", "Le libellé fait 80 caractères au plus.");
    }
    let line = f.line.trim();
    if !line.is_empty() && !ok(&line.replace(' ', "_")) {
        errs.push(
            "ligne",
            "Ligne : son nom court (« C1 ») ou son identifiant GTFS, 64 caractères au plus.",
        );
    }
    let region = crate::screen_health::Region::parse(f.region.trim());
    if region.is_none() {
        errs.push("zone", "Choisissez la partie de l'écran dans la liste.");
    }
    errs.into_result()?;
    let s = ScreenRecord {
        id: id.trim().to_string(),
        vehicle: vehicle.trim().to_string(),
        label: label.trim().to_string(),
        line: (!line.is_empty()).then(|| line.to_string()),
        region: region.map_or("", |r| r.name()).to_string(),
    };
    match store.add_screen(&s, at).await {
        Err(StoreError::Conflict(_)) => Err(ValidationError::single(
            "ecran",
            format!("L'écran « {} » existe déjà.", s.id),
        )
        .into()),
        other => Ok(other?),
    }
}

/// A message for the screens when no offer is near, shown from one day to another.
pub async fn add_message(
    store: &dyn Store,
    text: &str,
    from: &str,
    to: &str,
    at: i64,
) -> Result<i64, SettingsError> {
    let mut errs = ValidationError::default();
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 140 {
        errs.push(
            "texte",
            "Écrivez le message, 140 caractères au plus : il doit se lire d'un coup d'œil.",
        );
    }
    let from = errs.check("message_du", parse_day(from));
    let to = errs.check("message_au", parse_day(to));
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            errs.push("message_au", "La fin est avant le début.");
        }
    }
    errs.clone().into_result()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(errs.into());
    };
    Ok(store
        .add_screen_message(
            &ScreenMessage {
                id: 0,
                text: text.to_string(),
                from,
                to,
            },
            at,
        )
        .await?)
}
