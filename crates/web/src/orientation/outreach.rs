//! The mobile team's contact form, kept on the phone when the network is poor.

use super::*;

#[derive(Template)]
#[template(path = "outreach.html")]
struct OutreachPage {
    me: String,
    notice: String,
    errors: Vec<FieldError>,
    csrf: String,
    submission: String,
    places: Vec<(&'static str, &'static str)>,
    known_places: Vec<String>,
    channels: Vec<(&'static str, &'static str)>,
    needs: Vec<(&'static str, &'static str, bool)>,
    steps: Vec<(&'static str, &'static str)>,
    recent: Vec<String>,
    consent: &'static str,
    f: dklik_app::orientation::OutreachForm,
}

fn contact_line(c: &dklik_app::orientation_store::OutreachContact) -> String {
    let needs: Vec<&str> = c
        .needs
        .split(',')
        .filter_map(|n| Need::parse(n).ok())
        .map(|n| n.label_fr())
        .collect();
    format!(
        "{} – {} – {} personne(s){} – {} – suite : {}",
        format_time(c.at),
        c.place_label,
        c.people_count,
        if c.person_id.is_some() {
            ", recontact accepté"
        } else {
            ""
        },
        if needs.is_empty() {
            "besoin non dit".to_string()
        } else {
            needs.join(", ")
        },
        NextStep::parse(&c.next_step)
            .map(|s| s.label_fr())
            .unwrap_or("")
    )
}

async fn outreach_page(
    st: &SharedState,
    ident: &Identity,
    notice: &str,
    errors: Vec<FieldError>,
    mut f: dklik_app::orientation::OutreachForm,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let store = st.store.as_ref();
    let recent_contacts = store.outreach_contacts(20).await?;
    let mut known_places: Vec<String> = store
        .neighbourhoods()
        .await?
        .into_iter()
        .map(|h| h.name)
        .collect();
    known_places.extend(
        store
            .events(None, dklik_app::unix_now() - 86_400)
            .await?
            .into_iter()
            .map(|e| e.title),
    );
    known_places.extend(st.screens.stops().into_iter().map(|s| s.name));
    // A fresh submission id unless the same form comes back to be corrected.
    let submission = if errors.is_empty() || f.envoi.len() != 32 {
        dklik_app::questionnaire::new_token()?
    } else {
        f.envoi.clone()
    };
    if f.lieu_type.is_empty() {
        f.lieu_type = OutreachPlace::Neighbourhood.as_str().into();
    }
    let needs = Need::ALL
        .iter()
        .map(|n| {
            (
                n.as_str(),
                n.label_fr(),
                f.besoins.iter().any(|b| b == n.as_str()),
            )
        })
        .collect();
    let status = status_of(&errors);
    let page = OutreachPage {
        me: actor_label(u),
        notice: notice.into(),
        errors,
        csrf: ident.csrf().to_string(),
        submission,
        places: OutreachPlace::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_fr()))
            .collect(),
        known_places,
        channels: OutreachChannel::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_fr()))
            .collect(),
        needs,
        steps: NextStep::ALL
            .iter()
            .map(|p| (p.as_str(), p.label_fr()))
            .collect(),
        recent: recent_contacts.iter().map(contact_line).collect(),
        consent: ORIENTATION_CONSENT_TEXT,
        f,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn outreach(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let notice = match q.ok.as_str() {
        "1" => "Rencontre enregistrée.",
        "deja" => "Cette rencontre était déjà enregistrée : elle n'est pas comptée deux fois.",
        _ => "",
    };
    outreach_page(&st, &ident, notice, vec![], Default::default()).await
}

/// The form as a plain post (redirects) or from its script (`Accept: application/json`).
pub async fn record_outreach(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = ident.user().ok_or(AppError::NotFound)?;
    let json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let d = FormData::parse(&body);
    let f = dklik_app::orientation::OutreachForm {
        envoi: d.get("envoi"),
        lieu_type: d.get("lieu_type"),
        lieu: d.get("lieu"),
        canal: d.get("canal"),
        nombre: d.get("nombre"),
        besoins: d.all("besoins"),
        suite: d.get("suite"),
        notes: d.get("notes"),
        prenom: d.get("prenom"),
        telephone: d.get("telephone"),
        email: d.get("email"),
        consentement: d.get("consentement"),
    };
    let store = st.store.as_ref();
    match dklik_app::orientation::record_outreach(
        store,
        &f,
        u.id,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok((id, new)) => {
            if json {
                let recent = store
                    .outreach_contacts(50)
                    .await?
                    .into_iter()
                    .find(|c| c.id == id)
                    .map(|c| contact_line(&c))
                    .unwrap_or_default();
                return Ok(Json(serde_json::json!({"ok": true, "new": new, "id": id, "recent": if new { recent } else { String::new() }})).into_response());
            }
            Ok(Redirect::to(if new {
                "/equipe-mobile?ok=1"
            } else {
                "/equipe-mobile?ok=deja"
            })
            .into_response())
        }
        Err(e) => {
            let errors = errors_of(e)?;
            if json {
                let list: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(serde_json::json!({"errors": list})),
                )
                    .into_response());
            }
            outreach_page(&st, &ident, "", errors, f).await
        }
    }
}
