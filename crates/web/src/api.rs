//! The JSON API, read-only for now: published offers and employers. Described by the OpenAPI
//! document at `/api/v1/openapi.json`.

use crate::error::{ApiError, AppError};
use crate::SharedState;
use axum::extract::{Path, Query, State};
use axum::Json;
use dklik_app::offers::{search_offers, OfferQuery};
use dklik_app::store::EmployerSummary;
use dklik_domain::{Employer, EmployerId, Offer, OfferStatus, ShortCode, Site};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

pub async fn offers(
    State(st): State<SharedState>,
    Query(q): Query<OfferQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let empty_page = raw
        .as_deref()
        .is_some_and(|r| r.split('&').any(|kv| kv == "page" || kv == "page="));
    let checked = q.check_strict().and_then(|()| {
        if empty_page {
            Err(vec!["page : un nombre de 1 à 10 000.".to_string()])
        } else {
            Ok(())
        }
    });
    if let Err(errs) = checked {
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            Json(crate::openapi::ErrorBody {
                error: errs.join(" "),
            }),
        )
            .into_response());
    }
    // Like the other filters, an unknown place is ignored rather than refused.
    let reach = crate::pages::reach_filter(&st, &q.depuis)
        .await
        .map_err(ApiError)?;
    let only = reach
        .set
        .as_ref()
        .map(|set| (reach.key.as_str(), set.as_ref()));
    let page = match st.search.search_within(&q.to_filter(), &q.q, only) {
        Some((page, _)) => page,
        None => search_offers(st.store.as_ref(), &q).await?,
    };
    Ok(Json(OffersPage {
        total: page.total,
        page: q.page(),
        offers: page.offers,
    })
    .into_response())
}

/// A page of published offers.
#[derive(Serialize, JsonSchema)]
pub struct OffersPage {
    /// Offers that match, on every page.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u32,
    /// At most 20.
    pub offers: Vec<Offer>,
}

/// The employers.
#[derive(Serialize, JsonSchema)]
pub struct EmployerList {
    /// Each with its number of published offers.
    pub employers: Vec<EmployerSummary>,
}

/// An employer and its sites.
#[derive(Serialize, JsonSchema)]
pub struct EmployerSites {
    /// The employer.
    pub employer: Employer,
    /// Where its people work.
    pub sites: Vec<Site>,
}

pub async fn offer(
    State(st): State<SharedState>,
    Path(code): Path<String>,
) -> Result<Json<Offer>, ApiError> {
    let code = ShortCode::parse(&code).map_err(|_| ApiError(AppError::NotFound))?;
    match st.store.offer_by_code(&code).await? {
        Some(o) if o.status == OfferStatus::Published => Ok(Json(o)),
        _ => Err(ApiError(AppError::NotFound)),
    }
}

/// Where the journeys start.
#[derive(serde::Deserialize, JsonSchema, Default)]
pub struct JourneysQuery {
    /// A neighbourhood or a stop: its key (from `places`) or its name. An unknown place
    /// answers 404 with a sentence saying so; blank is refused (400).
    #[schemars(length(min = 1, max = 120), extend("pattern" = "\\S"))]
    pub from: String,
}

/// An offer's bus answer: the stops near its site, and from a place, each shift's journeys.
#[derive(Serialize, JsonSchema)]
pub struct OfferBus {
    /// The offer's code.
    pub code: String,
    /// Stops within walking distance of the site.
    pub stops: Vec<dklik_app::journeys::NearStop>,
    /// From the place asked, per shift.
    pub journeys: dklik_app::journeys::OfferJourneys,
}

/// The places journeys may start from.
#[derive(Serialize, JsonSchema)]
pub struct PlaceList {
    /// Neighbourhoods, then stops.
    pub places: Vec<dklik_app::journeys::Place>,
}

pub async fn places(State(st): State<SharedState>) -> Result<Json<PlaceList>, ApiError> {
    Ok(Json(PlaceList {
        places: dklik_app::journeys::places(st.store.as_ref(), &st.transit).await?,
    }))
}

pub async fn journeys(
    State(st): State<SharedState>,
    Path(code): Path<String>,
    Query(q): Query<JourneysQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let code = ShortCode::parse(&code).map_err(|_| ApiError(AppError::NotFound))?;
    let o = match st.store.offer_by_code(&code).await? {
        Some(o) if o.status == OfferStatus::Published => o,
        _ => return Err(ApiError(AppError::NotFound)),
    };
    let all = dklik_app::journeys::places(st.store.as_ref(), &st.transit).await?;
    let from = match dklik_app::journeys::find_place(&all, &q.from) {
        Ok(p) => p,
        Err(m) => {
            // Empty or too long: a bad parameter; a name matching no place: not found.
            let status = if q.from.trim().is_empty()
                || q.from.chars().count() > dklik_app::journeys::MAX_TYPED
            {
                axum::http::StatusCode::BAD_REQUEST
            } else {
                axum::http::StatusCode::NOT_FOUND
            };
            return Ok((status, Json(crate::openapi::ErrorBody { error: m })).into_response());
        }
    };
    let paris = dklik_app::now_paris();
    let (today, now) = (
        paris.date(),
        time::PrimitiveDateTime::new(paris.date(), paris.time()),
    );
    let store = st.store.as_ref();
    Ok(Json(OfferBus {
        code: o.code.to_string(),
        stops: dklik_app::journeys::offer_stops(store, &st.transit, &o, today).await?,
        journeys: dklik_app::journeys::offer_journeys(store, &st.transit, &o, from, now).await?,
    })
    .into_response())
}

pub async fn employers(State(st): State<SharedState>) -> Result<Json<EmployerList>, ApiError> {
    Ok(Json(EmployerList {
        employers: st.store.employers().await?,
    }))
}

pub async fn employer(
    State(st): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Json<EmployerSites>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError(AppError::NotFound))?;
    let e = st
        .store
        .employer(EmployerId(id))
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    let sites = st.store.sites(e.id).await?;
    Ok(Json(EmployerSites { employer: e, sites }))
}

/// The OpenAPI document, built once from the routes (see `crate::openapi`).
pub async fn openapi() -> Json<Value> {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(
        DOC.get_or_init(|| crate::openapi::document(&crate::routes::all()))
            .clone(),
    )
}

/// This module's routes: method, path, who may call it, handler, and what each reads and
/// answers (see `crate::routes`, `crate::openapi`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::Who;
    use crate::openapi::Op;
    use crate::routes::get;
    vec![
        get("/api/v1/openapi.json", Who::Anyone, openapi).doc(
            Op::new("openapi", "Ce document (OpenAPI 3.1)").answer_media(
                200,
                "Ce document",
                &["application/json"],
            ),
        ),
        get("/api/v1/offers", Who::Anyone, offers).doc(
            Op::new(
                "listOffers",
                "Offres publiées, les plus récentes d'abord (20 par page)",
            )
            .describe("Chaque filtre donné doit être valide : sinon 400, avec chaque problème dit.")
            .query::<OfferQuery>()
            .answer::<OffersPage>(200, "Une page d'offres"),
        ),
        get("/api/v1/offers/{code}", Who::Anyone, offer).doc(
            Op::new("getOffer", "Une offre publiée, par son code court")
                .path::<ShortCode>("code", "Le code court de l'offre (celui du QR)")
                .answer::<Offer>(200, "L'offre"),
        ),
        get("/api/v1/offers/{code}/journeys", Who::Anyone, journeys).doc(
            Op::new(
                "getOfferJourneys",
                "Les bus pour aller au poste avant l'embauche et en revenir après, depuis un quartier ou un arrêt",
            )
            .path::<ShortCode>("code", "Le code court de l'offre")
            .query::<JourneysQuery>()
            .answer::<OfferBus>(200, "Les arrêts proches et les trajets de chaque horaire"),
        ),
        get("/api/v1/places", Who::Anyone, places).doc(
            Op::new(
                "listPlaces",
                "Les quartiers et les arrêts d'où chercher un bus",
            )
            .answer::<PlaceList>(200, "Les lieux"),
        ),
        get("/api/v1/employers", Who::Anyone, employers).doc(
            Op::new(
                "listEmployers",
                "Les entreprises et leur nombre d'offres publiées",
            )
            .answer::<EmployerList>(200, "Les entreprises"),
        ),
        get("/api/v1/employers/{id}", Who::Anyone, employer).doc(
            Op::new("getEmployer", "Une entreprise et ses sites")
                .path::<i64>("id", "L'identifiant de l'entreprise")
                .answer::<EmployerSites>(200, "L'entreprise et ses sites"),
        ),
    ]
}
