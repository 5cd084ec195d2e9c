//! Skills use cases: a person's record and timeline, skills with their evidence, employer needs,
//! tests and their results, observed activities, endorsements by a third party, and suggestions
//! from free text. Every change writes the person's timeline.

use crate::skills_store::{Attendance, Observation, ObservedActivity, TestResult};
use crate::store::{Store, StoreError};
use dklik_domain::impact::Stage;
use dklik_domain::privacy::PersonId;
use dklik_domain::rome::RomeJob;
use dklik_domain::suggest::{SkillIndex, Suggestion};
use dklik_domain::{
    calendar::parse_day, ActivityKind, Evidence, Importance, ItemKind, JourneyEvent, Level,
    Modality, OfferId, OgrCode, PersonForm, RequiredItem, SkillEvidence, SkillTest, TestItem,
    TestTarget, ValidationError,
};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Why a skills action failed.
#[derive(Debug, thiserror::Error)]
pub enum SkillsError {
    /// A form error, by field.
    #[error("{0}")]
    Invalid(ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ValidationError> for SkillsError {
    fn from(v: ValidationError) -> Self {
        Self::Invalid(v)
    }
}

fn invalid(field: &str, msg: impl Into<String>) -> SkillsError {
    SkillsError::Invalid(ValidationError::single(field, msg))
}

/// The ROME reference in memory: the search index and the job sheets.
pub struct SkillsRef {
    /// Skill suggestions from free text.
    pub index: SkillIndex,
    /// Job sheets.
    pub jobs: Vec<RomeJob>,
    /// Appellations (the names of trades people search for).
    pub appellations: Vec<dklik_domain::rome::RomeAppellation>,
    loaded_at: std::time::Instant,
}

impl SkillsRef {
    /// An item's label (its code when unknown).
    pub fn label(&self, code: OgrCode) -> String {
        self.index
            .item(code)
            .map(|i| i.label.clone())
            .unwrap_or_else(|| format!("élément {code}"))
    }
    /// A job sheet's label (its code when unknown).
    pub fn job_label(&self, code: &dklik_domain::RomeCode) -> String {
        self.jobs
            .iter()
            .find(|j| &j.code == code)
            .map(|j| j.label.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

/// Keeps the reference in memory; re-read after 10 minutes (a new ROME release imported by
/// `dklik import rome` reaches running servers that way).
#[derive(Default)]
pub struct SkillsCache(RwLock<Option<Arc<SkillsRef>>>);

impl SkillsCache {
    /// The reference, loaded once.
    pub async fn get(&self, store: &dyn Store) -> Result<Arc<SkillsRef>, StoreError> {
        if let Ok(g) = self.0.read() {
            if let Some(r) = g.as_ref() {
                if r.loaded_at.elapsed() < std::time::Duration::from_secs(600) {
                    return Ok(r.clone());
                }
            }
        }
        let cat = store.rome_catalogue().await?;
        let r = Arc::new(SkillsRef {
            index: SkillIndex::new(&cat.items, &cat.appellations, &cat.job_items),
            jobs: cat.jobs,
            appellations: cat.appellations,
            loaded_at: std::time::Instant::now(),
        });
        if let Ok(mut g) = self.0.write() {
            *g = Some(r.clone());
        }
        Ok(r)
    }
}

/// One step of a person's timeline: what kind, from which channel, in words, about what.
pub struct Step<'a> {
    /// Kind of step.
    pub kind: &'a str,
    /// Where it came from.
    pub channel: &'a str,
    /// What happened, in words.
    pub summary: &'a str,
    /// What it refers to.
    pub reference: &'a str,
}

/// What a step counts as in the figures: its funnel stage, its offer, its bus-screen display.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// The funnel stage it counts as.
    pub stage: Option<dklik_domain::impact::Stage>,
    /// The offer it is about.
    pub offer_id: Option<OfferId>,
    /// The bus-screen impression that brought it.
    pub impression: Option<String>,
}

impl Counts {
    /// Counts as a stage.
    pub fn stage(stage: dklik_domain::impact::Stage) -> Counts {
        Counts {
            stage: Some(stage),
            ..Default::default()
        }
    }
    /// About an offer.
    pub fn offer(mut self, offer_id: OfferId) -> Counts {
        self.offer_id = Some(offer_id);
        self
    }
}

/// Writes one step of the timeline that the figures do not count as a stage.
pub async fn record_step(
    store: &dyn Store,
    person_id: PersonId,
    step: Step<'_>,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    record_counted(store, person_id, step, Counts::default(), actor, at).await
}

/// Writes one step of the timeline with what it counts as in the figures.
pub async fn record_counted(
    store: &dyn Store,
    person_id: PersonId,
    step: Step<'_>,
    counts: Counts,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    store
        .add_journey_event(&JourneyEvent {
            id: 0,
            person_id,
            at,
            kind: step.kind.into(),
            channel: step.channel.into(),
            summary: step.summary.into(),
            reference: step.reference.into(),
            actor: actor.into(),
            stage: counts.stage.map(|s| s.as_str()).unwrap_or("").into(),
            offer_id: counts.offer_id,
            impression: counts.impression,
        })
        .await?;
    Ok(())
}

async fn check_form(
    store: &dyn Store,
    form: &PersonForm,
) -> Result<dklik_domain::PersonInput, SkillsError> {
    let hoods = store.neighbourhoods().await?;
    Ok(form.validate(|id| hoods.iter().find(|h| h.id == id).map(|h| h.qpv))?)
}

const NO_CONSENT: &str =
    "Lisez la phrase d'accord à la personne et cochez la case : sans son accord, pas de dossier.";

/// Creates a person's record (advisor side).
pub async fn create_person(
    store: &dyn Store,
    form: &PersonForm,
    actor_id: i64,
    actor: &str,
    now: i64,
) -> Result<PersonId, SkillsError> {
    let consent = form.consentement == "oui";
    let input = match check_form(store, form).await {
        Ok(i) if consent => i,
        Ok(_) => return Err(invalid("consentement", NO_CONSENT)),
        Err(SkillsError::Invalid(mut v)) => {
            if !consent {
                v.push("consentement", NO_CONSENT);
            }
            return Err(SkillsError::Invalid(v));
        }
        Err(e) => return Err(e),
    };
    let id = store.create_person(&input, now).await?;
    // Contacts an advisor enters are verified: they come from the person, in person.
    store.verify_contact(id, true, true, now).await?;
    record_counted(
        store,
        id,
        Step {
            kind: "record",
            channel: &input.origin,
            summary: "Dossier créé",
            reference: "",
        },
        Counts::stage(Stage::Contact),
        actor,
        now,
    )
    .await?;
    store
        .add_audit(
            Some(actor_id),
            actor,
            "update",
            &format!("person:{id}"),
            "dossier créé",
            now,
        )
        .await?;
    Ok(id)
}

/// Checks the form and changes the record.
pub async fn update_person(
    store: &dyn Store,
    id: PersonId,
    form: &PersonForm,
    actor_id: i64,
    actor: &str,
    now: i64,
) -> Result<(), SkillsError> {
    let input = check_form(store, form).await?;
    let before = store.person(id).await?;
    store.update_person(id, &input, now).await?;
    // A contact an advisor changes is verified; the person's sessions end, and the old
    // address is told that it no longer opens their space.
    if let (Some(before), Some(after)) = (before, store.person(id).await?) {
        let email_changed = before.email != after.email;
        let phone_changed = before.phone != after.phone;
        if email_changed || phone_changed {
            store
                .verify_contact(id, email_changed, phone_changed, now)
                .await?;
            store.delete_person_sessions(id).await?;
        }
        if let Some(old) = before.email.filter(|_| email_changed) {
            crate::auth::notify_contact_change(store, &old, now)
                .await
                .map_err(|e| SkillsError::Store(StoreError::Backend(e.to_string())))?;
        }
    }
    store
        .add_audit(
            Some(actor_id),
            actor,
            "update",
            &format!("person:{id}"),
            "dossier modifié",
            now,
        )
        .await?;
    Ok(())
}

/// Checks an item code typed or posted: it must exist and be a skill or knowledge.
fn known_item(r: &SkillsRef, field: &str, code: &str) -> Result<OgrCode, SkillsError> {
    let c = OgrCode::parse(code).map_err(|m| invalid(field, m))?;
    match r.index.item(c) {
        Some(i) if i.kind != ItemKind::Context => Ok(c),
        _ => Err(invalid(
            field,
            format!("Le code {code} n'est pas une compétence ou un savoir du ROME."),
        )),
    }
}

/// Records a skill a person declares (or a suggestion the advisor keeps).
pub async fn declare_skill(
    store: &dyn Store,
    r: &SkillsRef,
    person_id: PersonId,
    (code, level): (&str, &str),
    (evidence, source): (Evidence, &str),
    actor: &str,
    now: i64,
) -> Result<(), SkillsError> {
    let item = known_item(r, "element", code)?;
    let level = Level::parse(level).map_err(|m| invalid("niveau", m))?;
    if !matches!(
        evidence,
        Evidence::Declared | Evidence::Suggested | Evidence::SelfAssessed
    ) {
        return Err(invalid(
            "preuve",
            "Une compétence observée ou testée se saisit depuis l'activité ou le test.",
        ));
    }
    store
        .add_skill_evidence(&[SkillEvidence {
            id: 0,
            person_id,
            item,
            level,
            evidence,
            source: source.chars().take(200).collect(),
            recorded_by: actor.into(),
            at: now,
        }])
        .await?;
    record_step(
        store,
        person_id,
        Step {
            kind: "skill",
            channel: "conseiller",
            summary: &format!("Compétence {} : {}", evidence.label_fr(), r.label(item)),
            reference: &format!("item:{item}"),
        },
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// "lundi 30/11/2026".
pub fn day_label(d: time::Date) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    format!(
        "{} {:02}/{:02}/{}",
        DAYS[d.weekday().number_days_from_monday() as usize],
        d.day(),
        u8::from(d.month()),
        d.year()
    )
}

/// At most this many characters of free text are read for suggestions.
pub const MAX_TEXT: usize = 1_000;

/// Suggests ROME items for a sentence; an empty or huge text is refused.
pub fn suggest(r: &SkillsRef, text: &str, limit: usize) -> Result<Vec<Suggestion>, SkillsError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(invalid(
            "texte",
            "Écrivez une phrase sur ce que la personne fait, par exemple « j'entraîne les U12 du club de foot ».",
        ));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(invalid(
            "texte",
            format!("Le texte est trop long : {MAX_TEXT} caractères au plus."),
        ));
    }
    Ok(r.index.suggest(t, limit))
}

/// An offer's needs: adds (or changes) one required item.
pub async fn set_offer_need(
    store: &dyn Store,
    r: &SkillsRef,
    offer: OfferId,
    code: &str,
    level: &str,
    importance: &str,
) -> Result<(), SkillsError> {
    let o = store.offer(offer).await?.ok_or(StoreError::NotFound)?;
    let item = known_item(r, "element", code)?;
    let level = Level::parse(level).map_err(|m| invalid("niveau", m))?;
    let importance = Importance::parse(importance).map_err(|m| invalid("importance", m))?;
    let it = r.index.item(item).ok_or(StoreError::NotFound)?;
    let mut items: Vec<RequiredItem> = o.items.into_iter().filter(|i| i.code != item).collect();
    if items.len() >= 40 {
        return Err(invalid("element", "40 compétences au plus par poste."));
    }
    items.push(RequiredItem {
        code: item,
        kind: it.kind,
        label: it.label.clone(),
        level,
        importance,
    });
    store.set_offer_items(offer, &items).await?;
    Ok(())
}

/// Removes a need from an offer.
pub async fn remove_offer_need(
    store: &dyn Store,
    offer: OfferId,
    code: OgrCode,
) -> Result<(), SkillsError> {
    let o = store.offer(offer).await?.ok_or(StoreError::NotFound)?;
    let items: Vec<RequiredItem> = o.items.into_iter().filter(|i| i.code != code).collect();
    store.set_offer_items(offer, &items).await?;
    Ok(())
}

/// Items for an offer's needs: the search results, or (without words) the job sheet's core
/// items first, then its other items; items already required are left out.
pub fn need_candidates(
    r: &SkillsRef,
    offer: &dklik_domain::Offer,
    query: &str,
    limit: usize,
) -> Vec<(OgrCode, String, bool)> {
    let sheet: Vec<(OgrCode, bool)> = r.index.job_items(&offer.rome);
    let taken = |c: OgrCode| offer.items.iter().any(|i| i.code == c);
    let kinds = [
        ItemKind::SavoirFaire,
        ItemKind::SavoirEtre,
        ItemKind::Savoir,
    ];
    let codes: Vec<(OgrCode, bool)> = if query.trim().is_empty() {
        sheet.clone()
    } else {
        let mut found: Vec<(OgrCode, f32)> = r.index.search(query, &kinds, 200);
        // The job sheet's own items come first among equals.
        found.sort_by(|a, b| {
            let ina = sheet.iter().any(|(c, _)| *c == a.0);
            let inb = sheet.iter().any(|(c, _)| *c == b.0);
            inb.cmp(&ina).then(b.1.total_cmp(&a.1))
        });
        found
            .into_iter()
            .map(|(c, _)| (c, sheet.iter().any(|(s, core)| *s == c && *core)))
            .collect()
    };
    codes
        .into_iter()
        .filter(|(c, _)| !taken(*c))
        .filter_map(|(c, core)| {
            let it = r.index.item(c)?;
            kinds
                .contains(&it.kind)
                .then(|| (c, it.label.clone(), core))
        })
        .take(limit)
        .collect()
}

/// An endorsement link lasts this long.
pub const ENDORSEMENT_DAYS: i64 = 30;

/// Creates a link a coach or club president opens to endorse a skill; returns the secret token.
pub async fn endorsement_link(
    store: &dyn Store,
    r: &SkillsRef,
    person_id: PersonId,
    code: &str,
    context: &str,
    actor: &str,
    now: i64,
) -> Result<String, SkillsError> {
    let item = known_item(r, "element", code)?;
    let context = context.trim();
    if context.is_empty() || context.chars().count() > 200 {
        return Err(invalid(
            "contexte",
            "Dites où la personne a montré cette compétence (200 caractères au plus), par exemple « club de foot de Petite-Synthe ».",
        ));
    }
    store.person(person_id).await?.ok_or(StoreError::NotFound)?;
    let token = crate::auth::random_token().map_err(|e| StoreError::Backend(e.to_string()))?;
    let id = store
        .create_endorsement(
            person_id,
            item,
            &crate::auth::token_hash(&token),
            context,
            now,
            now + ENDORSEMENT_DAYS * 86_400,
        )
        .await?;
    record_step(
        store,
        person_id,
        Step {
            kind: "endorsement",
            channel: "conseiller",
            summary: &format!("Lien d'attestation créé : {} ({context})", r.label(item)),
            reference: &format!("endorsement:{id}"),
        },
        actor,
        now,
    )
    .await?;
    Ok(token)
}

/// Why an endorsement link cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkState {
    /// No such link.
    Unknown,
    /// Past its date.
    Expired,
    /// Already used.
    Used,
    /// Usable.
    Open(crate::skills_store::Endorsement),
}

/// What an endorsement link can do now.
pub async fn endorsement_state(
    store: &dyn Store,
    token: &str,
    now: i64,
) -> Result<LinkState, StoreError> {
    Ok(
        match store
            .endorsement_by_hash(&crate::auth::token_hash(token))
            .await?
        {
            None => LinkState::Unknown,
            Some(e) if e.used_at.is_some() => LinkState::Used,
            Some(e) if e.expires_at <= now => LinkState::Expired,
            Some(e) => LinkState::Open(e),
        },
    )
}

/// The third party confirms: who they are and, if they wish, a word.
pub async fn endorse(
    store: &dyn Store,
    r: &SkillsRef,
    token: &str,
    name: &str,
    role: &str,
    comment: &str,
    now: i64,
) -> Result<(), SkillsError> {
    let LinkState::Open(e) = endorsement_state(store, token, now).await? else {
        return Err(invalid(
            "lien",
            "Ce lien n'est plus valable : il a déjà servi ou il a expiré.",
        ));
    };
    let mut errs = ValidationError::default();
    let (name, role, comment) = (name.trim(), role.trim(), comment.trim());
    if name.is_empty() || name.chars().count() > 80 {
        errs.push("nom", "Indiquez votre prénom et votre nom.");
    }
    if role.is_empty() || role.chars().count() > 80 {
        errs.push(
            "role",
            "Indiquez votre rôle auprès de la personne (entraîneur, président du club…).",
        );
    }
    if comment.chars().count() > 500 {
        errs.push("commentaire", "Le commentaire fait 500 caractères au plus.");
    }
    errs.into_result()?;
    if !store
        .complete_endorsement(e.id, name, role, comment, now)
        .await?
    {
        return Err(invalid(
            "lien",
            "Ce lien n'est plus valable : il a déjà servi ou il a expiré.",
        ));
    }
    record_step(
        store,
        e.person_id,
        Step {
            kind: "endorsement",
            channel: "attestation",
            summary: &format!("{} attestée par {name} ({role})", r.label(e.item)),
            reference: &format!("endorsement:{}", e.id),
        },
        name,
        now,
    )
    .await?;
    Ok(())
}

/// A test as typed: one line per assessed item, `ogr:CODE` or `mrs:N`, then the four levels'
/// descriptions separated by `|`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TestForm {
    /// Name.
    pub nom: String,
    /// Description.
    pub description: String,
    /// Modality.
    pub modalite: String,
    /// Length in minutes.
    pub duree: String,
    /// Places per session.
    pub capacite: String,
    /// Items assessed, one per line.
    pub elements: String,
    /// Employers that recognise it.
    pub entreprises: Vec<String>,
}

/// Checks the form and adds the test.
pub async fn create_test(
    store: &dyn Store,
    r: &SkillsRef,
    f: &TestForm,
    now: i64,
) -> Result<i64, SkillsError> {
    let mut errs = ValidationError::default();
    let name = f.nom.trim();
    if name.is_empty() || name.chars().count() > 120 {
        errs.push("nom", "Donnez un nom au test (120 caractères au plus).");
    }
    let modality = errs.check("modalite", Modality::parse(&f.modalite));
    let duration = match f.duree.trim().parse::<u32>() {
        Ok(d) if (5..=2400).contains(&d) => Some(d),
        _ => {
            errs.push("duree", "La durée est un nombre de minutes, de 5 à 2 400.");
            None
        }
    };
    let capacity = match f.capacite.trim().parse::<u32>() {
        Ok(c) if (1..=200).contains(&c) => Some(c),
        _ => {
            errs.push(
                "capacite",
                "La capacité est un nombre de personnes, de 1 à 200.",
            );
            None
        }
    };
    let mut items = Vec::new();
    for (n, line) in f.elements.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split('|').map(str::trim);
        let key = parts.next().unwrap_or("");
        let target = match TestTarget::parse_key(key) {
            Ok(t) => t,
            Err(m) => {
                errs.push("elements", format!("Ligne {} : {m}", n + 1));
                continue;
            }
        };
        let label = match target {
            TestTarget::Rome(c) => match r.index.item(c) {
                Some(i) => i.label.clone(),
                None => {
                    errs.push(
                        "elements",
                        format!("Ligne {} : le code {c} n'existe pas dans le ROME.", n + 1),
                    );
                    continue;
                }
            },
            TestTarget::Habilete(h) => dklik_domain::skills::habiletes()
                .iter()
                .find(|x| x.number == h)
                .map(|x| x.label.clone())
                .unwrap_or_default(),
        };
        let levels: Vec<String> = parts.map(str::to_string).collect();
        if levels.len() != 4
            || levels
                .iter()
                .any(|l| l.is_empty() || l.chars().count() > 300)
        {
            errs.push(
                "elements",
                format!(
                    "Ligne {} : décrivez les niveaux 1, 2, 3 et 4, séparés par « | » (300 caractères au plus chacun).",
                    n + 1
                ),
            );
            continue;
        }
        if items.iter().any(|i: &TestItem| i.target == target) {
            errs.push("elements", format!("Ligne {} : élément en double.", n + 1));
            continue;
        }
        let rubric = [
            levels[0].clone(),
            levels[1].clone(),
            levels[2].clone(),
            levels[3].clone(),
        ];
        items.push(TestItem {
            target,
            label,
            rubric,
        });
    }
    if items.is_empty() && errs.is_empty() {
        errs.push("elements", "Un test évalue au moins un élément.");
    }
    let mut employers = Vec::new();
    let known: Vec<i64> = store
        .employers()
        .await?
        .into_iter()
        .map(|e| e.employer.id.0)
        .collect();
    for e in &f.entreprises {
        match e.parse::<i64>() {
            Ok(id) if known.contains(&id) => employers.push(id),
            _ => errs.push("entreprises", "Entreprise inconnue."),
        }
    }
    errs.clone().into_result()?;
    let (Some(modality), Some(duration_min), Some(capacity)) = (modality, duration, capacity)
    else {
        return Err(errs.into());
    };
    match store
        .create_test(
            &SkillTest {
                id: 0,
                name: name.into(),
                description: f.description.trim().chars().take(2000).collect(),
                modality,
                duration_min,
                capacity,
                items,
                employers,
            },
            now,
        )
        .await
    {
        Err(StoreError::Conflict(m)) => Err(invalid("nom", m)),
        other => Ok(other?),
    }
}

/// A session of a test, at a date and time (Europe/Paris) and a place.
pub async fn create_session(
    store: &dyn Store,
    test_id: i64,
    day: &str,
    hour: &str,
    place: &str,
    capacity: &str,
    now: i64,
) -> Result<i64, SkillsError> {
    let test = store
        .tests()
        .await?
        .into_iter()
        .find(|t| t.id == test_id)
        .ok_or(StoreError::NotFound)?;
    let mut errs = ValidationError::default();
    let d = errs.check("jour", parse_day(day));
    let h = errs.check("heure", dklik_domain::TimeOfDay::parse(hour));
    let place = place.trim();
    if place.is_empty() || place.chars().count() > 200 {
        errs.push("lieu", "Indiquez le lieu (200 caractères au plus).");
    }
    let capacity = if capacity.trim().is_empty() {
        Some(test.capacity)
    } else {
        match capacity.trim().parse::<u32>() {
            Ok(c) if (1..=200).contains(&c) => Some(c),
            _ => {
                errs.push("capacite_session", "La capacité va de 1 à 200 personnes.");
                None
            }
        }
    };
    errs.clone().into_result()?;
    let (Some(d), Some(h), Some(capacity)) = (d, h, capacity) else {
        return Err(errs.into());
    };
    let starts_at = crate::paris_instant(d, h.minutes());
    Ok(store
        .create_test_session(test_id, starts_at, place, capacity, now)
        .await?)
}

/// Puts a person on a test session's list.
pub async fn register_for_test(
    store: &dyn Store,
    session: i64,
    person_id: PersonId,
    actor: &str,
    now: i64,
) -> Result<(), SkillsError> {
    store.person(person_id).await?.ok_or(StoreError::NotFound)?;
    let s = store
        .test_sessions(None)
        .await?
        .into_iter()
        .find(|s| s.id == session)
        .ok_or(StoreError::NotFound)?;
    if s.starts_at < now - 86_400 {
        return Err(invalid("personne", "Cette session est passée."));
    }
    match store.register_for_test(session, person_id, now).await {
        Err(StoreError::Conflict(m)) => return Err(invalid("personne", m)),
        other => other?,
    }
    record_step(
        store,
        person_id,
        Step {
            kind: "test",
            channel: "conseiller",
            summary: &format!("Inscrit au test « {} »", s.test_name),
            reference: &format!("test_session:{session}"),
        },
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// Marks someone present or absent.
pub async fn set_attendance(
    store: &dyn Store,
    session: i64,
    person_id: PersonId,
    status: &str,
    actor: &str,
    now: i64,
) -> Result<(), SkillsError> {
    let status = Attendance::parse(status)
        .ok_or_else(|| invalid("presence", "Choisissez inscrit, présent ou absent."))?;
    store
        .set_test_attendance(session, person_id, status, now)
        .await?;
    record_step(
        store,
        person_id,
        Step {
            kind: "test",
            channel: "conseiller",
            summary: &format!("Test : {}", status.label_fr()),
            reference: &format!("test_session:{session}"),
        },
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// What an evaluator enters for one person after a session.
#[derive(Debug, Clone, Default)]
pub struct ResultsInput {
    /// Target key (`ogr:…`, `mrs:…`) → "1".."4"; empty means not assessed.
    pub levels: HashMap<String, String>,
    /// Who assessed.
    pub evaluator: String,
    /// The day (YYYY-MM-DD).
    pub day: String,
    /// Notes.
    pub notes: String,
}

/// Results of one person on a session's items; the tested evidence follows.
pub async fn enter_results(
    store: &dyn Store,
    r: &SkillsRef,
    session: i64,
    person_id: PersonId,
    input: &ResultsInput,
    now: i64,
) -> Result<usize, SkillsError> {
    let (levels, evaluator, day, notes) = (
        &input.levels,
        input.evaluator.as_str(),
        input.day.as_str(),
        input.notes.as_str(),
    );
    let s = store
        .test_sessions(None)
        .await?
        .into_iter()
        .find(|s| s.id == session)
        .ok_or(StoreError::NotFound)?;
    let test = store
        .tests()
        .await?
        .into_iter()
        .find(|t| t.id == s.test_id)
        .ok_or(StoreError::NotFound)?;
    let mut errs = ValidationError::default();
    let evaluator = evaluator.trim();
    if evaluator.is_empty() || evaluator.chars().count() > 80 {
        errs.push("evaluateur", "Indiquez qui a évalué.");
    }
    let on_day = errs.check("jour_resultat", parse_day(day));
    if notes.chars().count() > 1000 {
        errs.push("notes", "Les notes font 1 000 caractères au plus.");
    }
    let mut results = Vec::new();
    let mut evidence = Vec::new();
    for (key, value) in levels {
        if value.trim().is_empty() {
            continue;
        }
        let Ok(target) = TestTarget::parse_key(key) else {
            errs.push(
                "niveaux",
                format!("« {key} » n'est pas un élément de ce test."),
            );
            continue;
        };
        let Some(item) = test.items.iter().find(|i| i.target == target) else {
            errs.push(
                "niveaux",
                format!("« {key} » n'est pas un élément de ce test."),
            );
            continue;
        };
        let Some(level) = errs.check("niveaux", Level::parse(value)) else {
            continue;
        };
        results.push(TestResult {
            session_id: session,
            person_id,
            target,
            level,
            evaluator: evaluator.into(),
            on_day: on_day.unwrap_or(time::Date::MIN),
            notes: notes.trim().into(),
        });
        for code in target.rome_items() {
            if r.index.item(code).is_none() {
                continue;
            }
            evidence.push(SkillEvidence {
                id: 0,
                person_id,
                item: code,
                level,
                evidence: Evidence::Tested,
                source: format!("Test « {} » ({})", test.name, item.label),
                recorded_by: evaluator.into(),
                at: now,
            });
        }
    }
    if results.is_empty() && errs.is_empty() {
        errs.push("niveaux", "Saisissez au moins un niveau.");
    }
    errs.into_result()?;
    match store.save_test_results(&results, &evidence, now).await {
        Err(StoreError::Conflict(m)) => return Err(invalid("niveaux", m)),
        other => other?,
    }
    record_counted(
        store,
        person_id,
        Step {
            kind: "test",
            channel: "conseiller",
            summary: &format!(
                "Résultats du test « {} » : {} élément(s)",
                test.name,
                results.len()
            ),
            reference: &format!("test_session:{session}"),
        },
        Counts::stage(Stage::Test),
        evaluator,
        now,
    )
    .await?;
    Ok(results.len())
}

/// Form fields of a Job Labo session or an immersion week.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActivityForm {
    /// Job Labo or immersion.
    pub type_activite: String,
    /// Title.
    pub titre: String,
    /// Place.
    pub lieu: String,
    /// Tutor.
    pub tuteur: String,
    /// First day.
    pub debut: String,
    /// Last day.
    pub fin: String,
}

/// Checks the form and records the activity.
pub async fn create_activity(
    store: &dyn Store,
    person_id: PersonId,
    f: &ActivityForm,
    actor: &str,
    now: i64,
) -> Result<i64, SkillsError> {
    store.person(person_id).await?.ok_or(StoreError::NotFound)?;
    let mut errs = ValidationError::default();
    let kind = errs.check("type_activite", ActivityKind::parse(&f.type_activite));
    let starts = errs.check("debut", parse_day(&f.debut));
    let ends = if f.fin.trim().is_empty() {
        starts
    } else {
        errs.check("fin", parse_day(&f.fin))
    };
    if let (Some(a), Some(b)) = (starts, ends) {
        if b < a {
            errs.push("fin", "La fin est avant le début.");
        } else if (b - a).whole_days() > 31 {
            errs.push("fin", "Une activité dure un mois au plus.");
        }
    }
    for (field, v, what) in [
        ("titre", &f.titre, "l'intitulé"),
        ("lieu", &f.lieu, "le lieu"),
        ("tuteur", &f.tuteur, "le tuteur"),
    ] {
        if v.trim().is_empty() || v.trim().chars().count() > 120 {
            errs.push(field, format!("Indiquez {what} (120 caractères au plus)."));
        }
    }
    errs.clone().into_result()?;
    let (Some(kind), Some(starts_on), Some(ends_on)) = (kind, starts, ends) else {
        return Err(errs.into());
    };
    let id = store
        .create_activity(
            &ObservedActivity {
                id: 0,
                person_id,
                kind,
                title: f.titre.trim().into(),
                place: f.lieu.trim().into(),
                tutor: f.tuteur.trim().into(),
                starts_on,
                ends_on,
                review: None,
                days: vec![],
                observations: vec![],
            },
            now,
        )
        .await?;
    record_counted(
        store,
        person_id,
        Step {
            kind: kind.as_str(),
            channel: "conseiller",
            summary: &format!("{} : {}", kind.label_fr(), f.titre.trim()),
            reference: &format!("activity:{id}"),
        },
        Counts::stage(Stage::Immersion),
        actor,
        now,
    )
    .await?;
    Ok(id)
}

/// Attendance of one day, which must be within the activity's dates.
pub async fn set_activity_day(
    store: &dyn Store,
    id: i64,
    day: &str,
    present: bool,
) -> Result<(), SkillsError> {
    let a = store.activity(id).await?.ok_or(StoreError::NotFound)?;
    let d = parse_day(day).map_err(|m| invalid("jour", m))?;
    if d < a.starts_on || d > a.ends_on {
        return Err(invalid(
            "jour",
            "Ce jour n'est pas dans les dates de l'activité.",
        ));
    }
    store.set_activity_day(id, d, present).await?;
    Ok(())
}

/// What the tutor saw, on one item: it becomes observed evidence.
pub async fn observe(
    store: &dyn Store,
    r: &SkillsRef,
    id: i64,
    (code, level): (&str, &str),
    comment: &str,
    observer: &str,
    now: i64,
) -> Result<(), SkillsError> {
    let a = store.activity(id).await?.ok_or(StoreError::NotFound)?;
    let item = known_item(r, "element", code)?;
    let level = Level::parse(level).map_err(|m| invalid("niveau", m))?;
    if comment.chars().count() > 500 {
        return Err(invalid(
            "commentaire",
            "Le commentaire fait 500 caractères au plus.",
        ));
    }
    let observer = if observer.trim().is_empty() {
        a.tutor.clone()
    } else {
        observer.trim().chars().take(80).collect()
    };
    store
        .add_observation(
            id,
            &Observation {
                id: 0,
                item,
                level,
                comment: comment.trim().into(),
                observer: observer.clone(),
                at: now,
            },
            &SkillEvidence {
                id: 0,
                person_id: a.person_id,
                item,
                level,
                evidence: Evidence::Observed,
                source: format!("{} : {}", a.kind.label_fr(), a.title),
                recorded_by: observer.clone(),
                at: now,
            },
        )
        .await?;
    record_step(
        store,
        a.person_id,
        Step {
            kind: a.kind.as_str(),
            channel: "conseiller",
            summary: &format!("Observé ({}) : {}", a.kind.label_fr(), r.label(item)),
            reference: &format!("activity:{id}"),
        },
        &observer,
        now,
    )
    .await?;
    Ok(())
}

/// Writes the advisor's review of an activity.
pub async fn review_activity(
    store: &dyn Store,
    id: i64,
    review: &str,
    actor: &str,
    now: i64,
) -> Result<(), SkillsError> {
    let a = store.activity(id).await?.ok_or(StoreError::NotFound)?;
    let review = review.trim();
    if review.is_empty() || review.chars().count() > 3000 {
        return Err(invalid(
            "bilan",
            "Écrivez le bilan (3 000 caractères au plus).",
        ));
    }
    store.set_activity_review(id, review, now).await?;
    record_step(
        store,
        a.person_id,
        Step {
            kind: a.kind.as_str(),
            channel: "conseiller",
            summary: &format!("Bilan de fin : {}", a.title),
            reference: &format!("activity:{id}"),
        },
        actor,
        now,
    )
    .await?;
    Ok(())
}
