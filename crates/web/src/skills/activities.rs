//! Job Labo sessions and immersion weeks: a person's activity, its days, observations and review.

use super::*;
use dklik_domain::PersonId;

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    id: i64,
    person: PersonId,
    title: String,
    kind: String,
    place: String,
    tutor: String,
    dates: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    days: Vec<(String, String, String)>,
    observations: Vec<String>,
    candidates: Vec<(i64, String)>,
    review: Option<String>,
}

async fn activity_page(
    st: &SharedState,
    ident: &Identity,
    id: i64,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let a = st.store.activity(id).await?.ok_or(AppError::NotFound)?;
    let r = reference(st).await?;
    let mut days = Vec::new();
    let mut d = a.starts_on;
    while d <= a.ends_on {
        let state = match a.days.iter().find(|(x, _)| *x == d) {
            Some((_, true)) => "présent",
            Some((_, false)) => "absent",
            None => "non noté",
        };
        days.push((
            format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            day_fr(d),
            state.to_string(),
        ));
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    // What the tutor may observe: the savoir-être, then what the person already has.
    let mut candidates: Vec<(i64, String)> = Vec::new();
    for s in st.store.rome_savoir_etre().await? {
        candidates.push((s.code.0, s.label));
    }
    for e in st.store.skill_evidence(a.person_id).await? {
        if !candidates.iter().any(|(c, _)| *c == e.item.0) {
            candidates.push((e.item.0, r.label(e.item)));
        }
    }
    let observations = a
        .observations
        .iter()
        .map(|o| {
            format!(
                "{} – niveau {} – {} ({}, {})",
                r.label(o.item),
                o.level.get(),
                o.comment,
                o.observer,
                format_time(o.at)
            )
        })
        .collect();
    let status = crate::forms::status_of(&errors);
    let page = ActivityPage {
        id,
        person: a.person_id,
        title: a.title.clone(),
        kind: a.kind.label_fr().into(),
        place: a.place.clone(),
        tutor: a.tutor.clone(),
        dates: format!("du {} au {}", day_fr(a.starts_on), day_fr(a.ends_on)),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        days,
        observations,
        candidates,
        review: a.review,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn activity(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "jour" => "La présence est notée.",
        "observation" => "L'observation est enregistrée.",
        "bilan" => "Le bilan est enregistré.",
        _ => "",
    };
    activity_page(&st, &ident, id_of(&id)?, notice, vec![]).await
}

/// `POST /conseil/activites/{id}/{what}`: jour, observation, bilan.
pub async fn activity_change(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path((id, what)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = id_of(&id)?;
    let d = FormData::parse(&body);
    let now = dklik_app::unix_now();
    let store = st.store.as_ref();
    let r = reference(&st).await?;
    let outcome = match what.as_str() {
        "jour" => {
            dklik_app::skills::set_activity_day(
                store,
                id,
                &d.get("jour"),
                d.get("present") == "oui",
            )
            .await
        }
        "observation" => {
            dklik_app::skills::observe(
                store,
                &r,
                id,
                (&d.get("element"), &d.get("niveau")),
                &d.get("commentaire"),
                &d.get("observateur"),
                now,
            )
            .await
        }
        "bilan" => {
            dklik_app::skills::review_activity(store, id, &d.get("bilan"), &actor_label(u), now)
                .await
        }
        _ => return Err(AppError::NotFound),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/conseil/activites/{id}?ok={what}")).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            activity_page(&st, &ident, id, "", errors).await
        }
    }
}
