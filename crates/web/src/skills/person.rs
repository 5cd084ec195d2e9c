//! A person's page: the record, skills with their evidence, the timeline, introductions, and
//! the actions an advisor takes from it.

use super::*;
use dklik_domain::PersonId;

struct SkillRow {
    code: i64,
    label: String,
    level: String,
    evidence: String,
    endorsed: String,
    /// The evidence id, when the skill is only a suggestion (it can be turned down).
    suggestion: Option<i64>,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    me: String,
    id: PersonId,
    name: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    record: Vec<(String, String)>,
    skills: Vec<SkillRow>,
    text: String,
    suggestions: Vec<(i64, String, String)>,
    search: String,
    found: Vec<(i64, String)>,
    activities: Vec<(i64, String)>,
    tests: Vec<String>,
    sessions: Vec<(i64, String)>,
    journey: Vec<(String, String, String)>,
    intros: Vec<IntroView>,
    /// Records that may be this person too, with a merge form each (advisors).
    pairs: Vec<crate::backoffice::DupView>,
    reasons: [&'static str; 6],
}

struct IntroView {
    id: i64,
    code: String,
    title: String,
    status: String,
    steps: Vec<String>,
    next: Vec<(&'static str, &'static str)>,
}

/// What the person's page shows beside the record.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) notice: String,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) text: String,
    pub(crate) suggestions: Vec<(i64, String, String)>,
    pub(crate) search: String,
    pub(crate) found: Vec<(i64, String)>,
}

/// The person's page again, with the form's errors.
pub(crate) async fn person_errors(
    st: &SharedState,
    ident: &Identity,
    id: PersonId,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    person_page(
        st,
        ident,
        id,
        Extras {
            errors,
            ..Default::default()
        },
    )
    .await
}

pub(crate) async fn person_page(
    st: &SharedState,
    ident: &Identity,
    id: PersonId,
    x: Extras,
) -> Result<Response, AppError> {
    let u = me(ident)?;
    let store = st.store.as_ref();
    let p = store.person(id).await?.ok_or(AppError::NotFound)?;
    if p.anonymised_at.is_some() {
        return Err(AppError::NotFound);
    }
    let r = reference(st).await?;
    let prof = store.person_profile(id).await?;
    let hoods = store.neighbourhoods().await?;
    let name = format!(
        "{} {}",
        p.first_name.clone().unwrap_or_default(),
        prof.as_ref()
            .map(|x| x.last_name.clone())
            .unwrap_or_default()
    )
    .trim()
    .to_string();
    let mut record = vec![
        (
            "Téléphone".to_string(),
            p.phone.clone().unwrap_or_else(|| "–".into()),
        ),
        (
            "E-mail".to_string(),
            p.email.clone().unwrap_or_else(|| "–".into()),
        ),
        (
            "Contact vérifié".to_string(),
            match (p.phone_verified_at.is_some(), p.email_verified_at.is_some()) {
                (true, true) => "téléphone et e-mail".into(),
                (true, false) => "téléphone".into(),
                (false, true) => "e-mail".into(),
                (false, false) => {
                    "non : tapé dans un formulaire public, à vérifier avec la personne".into()
                }
            },
        ),
    ];
    if let Some(x) = &prof {
        let hood = x
            .neighbourhood_id
            .and_then(|n| hoods.iter().find(|h| h.id == n))
            .map(|h| h.name.clone())
            .unwrap_or_else(|| "–".into());
        record.extend([
            ("Commune".into(), x.commune.clone()),
            ("Quartier".into(), hood),
            (
                "Quartier prioritaire".into(),
                if x.qpv { "oui" } else { "non" }.into(),
            ),
            ("Se déplace avec".into(), x.mobility.describe_fr()),
            ("Jours possibles".into(), x.days.describe_fr()),
            (
                "Horaires possibles".into(),
                dklik_domain::skills::periods_from_bits(x.periods)
                    .iter()
                    .map(|p| p.label_fr())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("Contraintes".into(), x.constraints.clone()),
            ("Notes".into(), x.notes.clone()),
        ]);
    }
    for c in store.consents(id).await? {
        record.push((
            "Accord donné".into(),
            format!(
                "{} – le {} (texte {}){}",
                c.purpose,
                format_time(c.given_at),
                c.wording_version,
                c.withdrawn_at
                    .map(|w| format!(", retiré le {}", format_time(w)))
                    .unwrap_or_default()
            ),
        ));
    }
    let endorsements = store.endorsements(id).await?;
    let done: Vec<(OgrCode, String, String)> = endorsements
        .iter()
        .filter(|e| e.used_at.is_some())
        .map(|e| {
            (
                e.item,
                e.endorser_name.clone().unwrap_or_default(),
                e.endorser_role.clone().unwrap_or_default(),
            )
        })
        .collect();
    let summary =
        dklik_domain::skills::summarise(store.skill_evidence(id).await?, &done, |c| r.label(c));
    let skills = summary
        .iter()
        .map(|s| SkillRow {
            code: s.item.0,
            label: s.label.clone(),
            level: format!("{} – {}", s.level.get(), s.level.label_fr()),
            evidence: s.evidence.label_fr().into(),
            endorsed: s
                .endorsed_by
                .iter()
                .map(|(n, r)| format!("{n} ({r})"))
                .collect::<Vec<_>>()
                .join(", "),
            suggestion: (s.evidence == Evidence::Suggested)
                .then(|| s.pieces.first().map(|p| p.id))
                .flatten(),
        })
        .collect();
    let activities = store
        .activities(id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id,
                format!(
                    "{} – {} ({} au {})",
                    a.kind.label_fr(),
                    a.title,
                    day_fr(a.starts_on),
                    day_fr(a.ends_on)
                ),
            )
        })
        .collect();
    let all_sessions = store.test_sessions(None).await?;
    let results = store.test_results(id).await?;
    let mut tests: Vec<String> = Vec::new();
    for s in &all_sessions {
        let mine: Vec<&dklik_app::skills_store::TestResult> =
            results.iter().filter(|x| x.session_id == s.id).collect();
        if !mine.is_empty() {
            tests.push(format!(
                "{} ({}) : {}",
                s.test_name,
                format_time(s.starts_at),
                mine.iter()
                    .map(|m| format!("{} niveau {}", m.target.as_key(), m.level.get()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let now = dklik_app::unix_now();
    let sessions = all_sessions
        .iter()
        .filter(|s| s.starts_at > now - 86_400 && s.registered < s.capacity)
        .map(|s| {
            (
                s.id,
                format!(
                    "{} – {} – {} ({} place(s) libre(s))",
                    s.test_name,
                    format_time(s.starts_at),
                    s.place,
                    s.capacity - s.registered
                ),
            )
        })
        .collect();
    let mut intros = Vec::new();
    for i in store.person_introductions(id).await? {
        let steps = store
            .introduction_steps(i.id)
            .await?
            .into_iter()
            .map(|s| {
                format!(
                    "{} – {} ({}){}",
                    format_time(s.at),
                    s.to.label_fr(),
                    s.actor,
                    if s.note.is_empty() {
                        String::new()
                    } else {
                        format!(" : {}", s.note)
                    }
                )
            })
            .collect();
        intros.push(IntroView {
            id: i.id,
            code: i.offer_code,
            title: i.offer_title,
            status: i.status.label_fr().into(),
            steps,
            next: i
                .status
                .next()
                .iter()
                .map(|s| (s.as_str(), s.label_fr()))
                .collect(),
        });
    }
    let journey = store
        .journey(id)
        .await?
        .into_iter()
        .rev()
        .map(|e| (format_time(e.at), e.summary, e.actor))
        .collect();
    store
        .add_audit(
            Some(u.id),
            &actor_label(u),
            "read",
            &format!("person:{id}"),
            "dossier consulté",
            now,
        )
        .await?;
    let status = crate::forms::status_of(&x.errors);
    let page = PersonPage {
        me: actor_label(u),
        id,
        name: if name.is_empty() {
            format!("Personne n° {id}")
        } else {
            name
        },
        notice: x.notice,
        errors: x.errors,
        csrf: ident.csrf().to_string(),
        pairs: if matches!(
            u.role,
            dklik_domain::Role::Admin | dklik_domain::Role::Advisor
        ) {
            crate::backoffice::dup_views(&store.duplicates(Some(id), 0, 20).await?)
        } else {
            vec![]
        },
        record,
        skills,
        text: x.text,
        suggestions: x.suggestions,
        search: x.search,
        found: x.found,
        activities,
        tests,
        sessions,
        journey,
        intros,
        reasons: dklik_domain::matching::NOT_HIRED_REASONS,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub fn day_fr(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

#[derive(serde::Deserialize, Default)]
pub struct PersonQuery {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    chercher: String,
}

pub async fn person(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Result<Response, AppError> {
    let id = PersonId(id_of(&id)?);
    let notice = match q.ok.as_str() {
        "cree" => "Le dossier est créé.",
        "modifie" => "Le dossier est modifié.",
        "messages" => "Le choix des messages (SMS ou e-mail) est enregistré.",
        "competence" => "La compétence est ajoutée.",
        "ecartee" => "La suggestion est écartée.",
        "activite" => "L'activité est ajoutée.",
        "inscrit" => "La personne est inscrite à la session.",
        "propose" => "La mise en relation est proposée : parlez-en avec la personne.",
        "etape" => "L'étape est enregistrée.",
        "fusion" => "Les deux fiches n'en font plus qu'une : tout est réuni ici.",
        _ => "",
    };
    let search: String = q.chercher.chars().take(100).collect();
    let found = if search.trim().is_empty() {
        vec![]
    } else {
        let r = reference(&st).await?;
        r.index
            .search(&search, &[], 30)
            .into_iter()
            .map(|(c, _)| (c.0, r.label(c)))
            .collect()
    };
    person_page(
        &st,
        &ident,
        id,
        Extras {
            notice: notice.into(),
            search,
            found,
            ..Default::default()
        },
    )
    .await
}

pub async fn add_skill(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    st.store.person(id).await?.ok_or(AppError::NotFound)?;
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    let evidence = match d.get("preuve").as_str() {
        "suggested" => Evidence::Suggested,
        _ => Evidence::Declared,
    };
    match dklik_app::skills::declare_skill(
        st.store.as_ref(),
        &r,
        id,
        (&d.get("element"), &d.get("niveau")),
        (evidence, &d.get("source")),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=competence")).into_response())
        }
        Err(e) => person_errors(&st, &ident, id, errors_of(e)?).await,
    }
}

pub async fn drop_skill(
    State(st): State<SharedState>,
    Extension(_ident): Extension<Identity>,
    Path((id, eid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, eid) = (PersonId(id_of(&id)?), id_of(&eid)?);
    st.store.delete_skill_evidence(id, eid).await?;
    Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=ecartee")).into_response())
}

pub async fn suggest(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = PersonId(id_of(&id)?);
    let d = FormData::parse(&body);
    let text = d.get("texte");
    let r = reference(&st).await?;
    let x = match dklik_app::skills::suggest(&r, &text, 8) {
        Ok(list) => Extras {
            notice: if list.is_empty() {
                "Aucune compétence trouvée : essayez avec d'autres mots.".into()
            } else {
                String::new()
            },
            suggestions: list
                .into_iter()
                .map(|s| (s.code.0, s.label, s.reason))
                .collect(),
            text: text.chars().take(dklik_app::skills::MAX_TEXT).collect(),
            ..Default::default()
        },
        Err(e) => Extras {
            errors: errors_of(e)?,
            text: text.chars().take(dklik_app::skills::MAX_TEXT).collect(),
            ..Default::default()
        },
    };
    person_page(&st, &ident, id, x).await
}

pub async fn endorsement_link(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::skills::endorsement_link(
        st.store.as_ref(),
        &r,
        id,
        &d.get("element"),
        &d.get("contexte"),
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(token) => Ok(crate::pages::message_page(
            StatusCode::OK,
            "Lien d'attestation créé",
            &[
                "Envoyez ce lien à la personne qui atteste (entraîneur, président du club…). Il sert une fois, pendant 30 jours, et ne sera plus affiché :",
                &format!("{}/attester/{token}", st.base_url),
                &format!("Retour au dossier : {}/conseil/personnes/{id}", st.base_url),
            ],
            false,
            "",
        )),
        Err(e) => {
            person_errors(&st, &ident, id, errors_of(e)?).await
        }
    }
}

pub async fn add_activity(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    let d = FormData::parse(&body);
    let f = dklik_app::skills::ActivityForm {
        type_activite: d.get("type_activite"),
        titre: d.get("titre"),
        lieu: d.get("lieu"),
        tuteur: d.get("tuteur"),
        debut: d.get("debut"),
        fin: d.get("fin"),
    };
    match dklik_app::skills::create_activity(
        st.store.as_ref(),
        id,
        &f,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(aid) => Ok(Redirect::to(&format!("/conseil/activites/{aid}")).into_response()),
        Err(e) => person_errors(&st, &ident, id, errors_of(e)?).await,
    }
}

pub async fn register_test(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = PersonId(id_of(&id)?);
    let d = FormData::parse(&body);
    let session = d.get("session").parse::<i64>().unwrap_or(0);
    match dklik_app::skills::register_for_test(
        st.store.as_ref(),
        session,
        id,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/personnes/{id}?ok=inscrit")).into_response()),
        Err(SkillsError::Store(StoreError::NotFound)) => {
            let e = FieldError::new("session", "Choisissez une session de la liste.");
            person_errors(&st, &ident, id, vec![e]).await
        }
        Err(e) => person_errors(&st, &ident, id, errors_of(e)?).await,
    }
}
