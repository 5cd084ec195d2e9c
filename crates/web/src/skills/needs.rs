//! An offer's needs: the skills a post asks for (advisors, and the employer for its own offers).

use super::*;

#[derive(Template)]
#[template(path = "offer_needs.html")]
struct NeedsPage {
    title: String,
    code: String,
    rome: String,
    back: String,
    base: String,
    csrf: String,
    errors: Vec<FieldError>,
    items: Vec<(i64, String, String, String)>,
    search: String,
    candidates: Vec<(i64, String, bool)>,
}

/// The offer behind the address, if this identity may change its needs.
async fn offer_for(
    st: &SharedState,
    ident: &Identity,
    code: &str,
) -> Result<(dklik_domain::Offer, String, String), AppError> {
    let code = dklik_domain::ShortCode::parse(code).map_err(|_| AppError::NotFound)?;
    let o = st
        .store
        .offer_by_code(&code)
        .await?
        .ok_or(AppError::NotFound)?;
    match ident.user() {
        Some(u) if u.role == dklik_domain::Role::Employer => {
            if u.employer_id != Some(o.employer_id) {
                return Err(AppError::NotFound);
            }
            let base = format!("/entreprise/offres/{code}/competences");
            Ok((o, base, format!("/entreprise/offres/{code}")))
        }
        Some(_) => {
            let base = format!("/conseil/offres/{code}/competences");
            Ok((o, base, format!("/offres/{code}")))
        }
        None => Err(AppError::NotFound),
    }
}

async fn needs_page(
    st: &SharedState,
    ident: &Identity,
    code: &str,
    search: String,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let (o, base, back) = offer_for(st, ident, code).await?;
    let r = reference(st).await?;
    let candidates = dklik_app::skills::need_candidates(&r, &o, &search, 40)
        .into_iter()
        .map(|(c, l, core)| (c.0, l, core))
        .collect();
    let items = o
        .items
        .iter()
        .map(|i| {
            (
                i.code.0,
                i.label.clone(),
                format!("{} – {}", i.level.get(), i.level.label_fr()),
                match i.importance {
                    dklik_domain::Importance::Must => "obligatoire".to_string(),
                    dklik_domain::Importance::Nice => "souhaitée".to_string(),
                },
            )
        })
        .collect();
    let status = crate::forms::status_of(&errors);
    let page = NeedsPage {
        title: o.title.clone(),
        code: o.code.to_string(),
        rome: o.rome.to_string(),
        back,
        base,
        csrf: ident.csrf().to_string(),
        errors,
        items,
        search,
        candidates,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct NeedsQuery {
    #[serde(default)]
    chercher: String,
}

pub async fn needs(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    Query(q): Query<NeedsQuery>,
) -> Result<Response, AppError> {
    needs_page(
        &st,
        &ident,
        &code,
        q.chercher.chars().take(100).collect(),
        vec![],
    )
    .await
}

pub async fn add_need(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (o, base, _) = offer_for(&st, &ident, &code).await?;
    let d = FormData::parse(&body);
    let r = reference(&st).await?;
    match dklik_app::skills::set_offer_need(
        st.store.as_ref(),
        &r,
        o.id,
        &d.get("element"),
        &d.get("niveau"),
        &d.get("importance"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&base).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            needs_page(&st, &ident, &code, String::new(), errors).await
        }
    }
}

pub async fn remove_need(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (o, base, _) = offer_for(&st, &ident, &code).await?;
    let d = FormData::parse(&body);
    let item = OgrCode::parse(&d.get("element")).map_err(|_| AppError::NotFound)?;
    match dklik_app::skills::remove_offer_need(st.store.as_ref(), OfferId(o.id.0), item).await {
        Ok(()) => Ok(Redirect::to(&base).into_response()),
        Err(e) => {
            let errors = errors_of(e)?;
            needs_page(&st, &ident, &code, String::new(), errors).await
        }
    }
}
