//! The JSON API, read-only for now: published offers and employers. Described by the OpenAPI
//! document at `/api/v1/openapi.json`.

use crate::error::{ApiError, AppError};
use crate::SharedState;
use axum::extract::{Path, Query, State};
use axum::Json;
use dklik_app::offers::{search_offers, OfferQuery};
use dklik_domain::{EmployerId, Offer, OfferStatus, ShortCode};
use serde_json::{json, Value};

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
            Json(json!({ "error": errs.join(" ") })),
        )
            .into_response());
    }
    let page = search_offers(st.store.as_ref(), &q).await?;
    Ok(Json(json!({
        "total": page.total,
        "page": q.page(),
        "offers": page.offers,
    }))
    .into_response())
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

pub async fn employers(State(st): State<SharedState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "employers": st.store.employers().await? })))
}

pub async fn employer(
    State(st): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError(AppError::NotFound))?;
    let e = st
        .store
        .employer(EmployerId(id))
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    let sites = st.store.sites(e.id).await?;
    Ok(Json(json!({ "employer": e, "sites": sites })))
}

pub async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The refusals every operation can answer, declared from its route: who may call it (401,
/// 403), whether it takes a body (400, 413, 415, 422) or query filters (400).
fn add_refusals(doc: &mut Value) {
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    for (method, path, who) in crate::access::table() {
        let Some(op) = doc
            .pointer_mut(&format!(
                "/paths/{}/{}",
                path.replace('/', "~1"),
                method.to_ascii_lowercase()
            ))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let has_params = op.get("parameters").is_some();
        // Who may call it, from the route's declaration.
        if let crate::access::Who::Roles(roles) = who {
            let schemes: Vec<Value> = roles
                .iter()
                .filter_map(|r| match r {
                    dklik_domain::Role::Feed => Some(json!({"feedToken": []})),
                    dklik_domain::Role::Screen => Some(json!({"screenToken": []})),
                    dklik_domain::Role::Admin => Some(json!({"adminSession": []})),
                    // No API route takes these roles' sessions.
                    dklik_domain::Role::Advisor
                    | dklik_domain::Role::MobileTeam
                    | dklik_domain::Role::Employer
                    | dklik_domain::Role::Person => None,
                })
                .collect();
            op.insert("security".into(), Value::Array(schemes));
        }
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        let mut add = |code: &str, d: &str| {
            responses.entry(code.to_string()).or_insert_with(|| err(d));
        };
        if matches!(who, crate::access::Who::Roles(_)) {
            add("401", "Jeton (ou session) manquant, inconnu ou révoqué");
            add("403", "Ce jeton n'a pas accès à cette adresse");
        }
        if *method == "POST" {
            add("400", "Corps illisible");
            add("413", "Corps trop gros");
            add("415", "Type de contenu non pris en charge");
            add(
                "422",
                "Corps lisible mais invalide (chaque problème est dit)",
            );
        }
        if has_params {
            add("400", "Paramètre invalide (chaque problème est dit)");
        }
    }
}

/// The OpenAPI 3.1 description of `/api/v1`: what each operation does and answers, plus the
/// refusals its route declares ([`add_refusals`]).
pub fn openapi_document() -> Value {
    let mut doc = described_operations();
    add_refusals(&mut doc);
    doc
}

fn described_operations() -> Value {
    let filters = json!([
        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "Mots cherchés (accents, majuscules et pluriels ignorés)"},
        {"name": "metier", "in": "query", "schema": {"type": "string", "pattern": "^([A-N][0-9]{4})?$"}, "description": "Code de fiche ROME (vide : tous)"},
        {"name": "commune", "in": "query", "schema": {"type": "string", "pattern": "^([0-9]{5}|2[AB][0-9]{3})?$"}, "description": "Code commune INSEE (vide : toutes)"},
        {"name": "famille", "in": "query", "schema": {"type": "string", "pattern": "^[A-Z]?$"}, "description": "Lettre du grand domaine ROME (vide : toutes)"},
        {"name": "contrat", "in": "query", "schema": {"type": "string", "enum": ["", "cdi", "cdd", "interim", "apprentissage", "professionnalisation", "saisonnier", "autre"]}},
        {"name": "horaire", "in": "query", "schema": {"type": "string", "enum": ["", "tot", "matin", "apres-midi", "nuit"]}, "description": "Heure de début d'un des postes"},
        {"name": "sans_diplome", "in": "query", "schema": {"type": "string", "enum": ["", "1"]}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}
    ]);
    let not_found = json!({"description": "Introuvable", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "DKLIK API",
            "version": "1",
            "description": "Offres d'emploi publiées et entreprises du programme DKLIK."
        },
        "paths": {
            "/api/v1/offers": {"get": {
                "summary": "Offres publiées, les plus récentes d'abord (20 par page)",
                "operationId": "listOffers",
                "parameters": filters,
                "description": "Chaque filtre donné doit être valide : sinon 400, avec chaque problème dit.",
                "responses": {"200": {"description": "Une page d'offres", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["total", "page", "offers"],
                    "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                        "offers": {"type": "array", "items": {"$ref": "#/components/schemas/Offer"}}}}}}}}
            }},
            "/api/v1/offers/{code}": {"get": {
                "summary": "Une offre publiée, par son code court",
                "operationId": "getOffer",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-HJKMNP-Z2-9]{6}$"}}],
                "responses": {"200": {"description": "L'offre", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Offer"}}}}, "404": not_found}
            }},
            "/api/v1/employers": {"get": {
                "summary": "Les entreprises et leur nombre d'offres publiées",
                "operationId": "listEmployers",
                "responses": {"200": {"description": "Les entreprises", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"employers": {"type": "array", "items": {"type": "object",
                        "properties": {"employer": {"$ref": "#/components/schemas/Employer"}, "published_offers": {"type": "integer"}}}}}}}}}}
            }},
            "/api/v1/employers/{id}": {"get": {
                "summary": "Une entreprise et ses sites",
                "operationId": "getEmployer",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "L'entreprise", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"employer": {"$ref": "#/components/schemas/Employer"},
                        "sites": {"type": "array", "items": {"$ref": "#/components/schemas/Site"}}}}}}}, "404": not_found}
            }},
            "/api/v1/whoami": {"get": {
                "summary": "Le rôle du jeton d'API envoyé (écran ou flux de positions)",
                "operationId": "whoami",
                "responses": {"200": {"description": "Le rôle", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"role": {"type": "string", "enum": ["screen", "feed"]}}}}}},
                    "401": {"description": "Jeton manquant, inconnu ou révoqué"}}
            }},
            "/api/v1/positions": {"post": {
                "summary": "Positions de véhicules (flux JSON simple), par un jeton de rôle feed",
                "operationId": "postPositions",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/Position"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/Position"}, "description": "10 000 positions au plus (sinon 422)"}]}}}},
                "responses": {"200": {"description": "Ce qui a été accepté ou refusé, par raison", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"accepted": {"type": "integer"}, "screens_changed": {"type": "integer"},
                        "rejected": {"type": "object", "additionalProperties": {"type": "integer"},
                            "description": "out_of_range, stale, future, out_of_order, duplicate, impossible_jump, off_network"}}}}}},
                    "400": {"description": "JSON illisible"}, "401": {"description": "Jeton manquant ou invalide"}}
            }},
            "/api/v1/positions/gtfs-rt": {"post": {
                "summary": "Positions en GTFS-realtime (FeedMessage VehiclePositions, protobuf), par un jeton feed",
                "operationId": "postGtfsRt",
                "requestBody": {"required": true, "content": {"application/x-protobuf": {}}},
                "responses": {"200": {"description": "Acceptées, refusées par raison, entités ignorées"}, "400": {"description": "Message illisible"}}
            }},
            "/api/v1/positions/siri": {"post": {
                "summary": "Positions en SIRI Vehicle Monitoring (XML), par un jeton feed",
                "operationId": "postSiri",
                "requestBody": {"required": true, "content": {"application/xml": {"schema": {
                    "type": "object", "xml": {"name": "Siri"}, "required": ["ServiceDelivery"], "additionalProperties": false,
                    "properties": {"ServiceDelivery": {"type": "object", "required": ["VehicleMonitoringDelivery"], "additionalProperties": false,
                        "properties": {"VehicleMonitoringDelivery": {"type": "object", "additionalProperties": false,
                            "description": "VehicleActivity… (SIRI VM 1.x ou 2.0)"}}}}}}}},
                "responses": {"200": {"description": "Acceptées, refusées par raison, activités ignorées"}, "400": {"description": "XML illisible, ou pas une livraison SIRI VM"}}
            }},
            "/api/v1/impressions": {"post": {
                "summary": "Preuve de diffusion envoyée par un autre lecteur d'affichage, par un jeton de rôle screen ; une impression renvoyée (même écran, même slide_id, même instant) compte une fois",
                "operationId": "postImpressions",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "array", "description": "5 000 impressions au plus (sinon 422)", "items": {"type": "object", "required": ["slide_id", "shown_at", "duration_s"], "properties": {
                        "screen": {"type": ["string", "null"], "description": "écran physique ; s'il est enregistré, son véhicule est connu"},
                        "vehicle": {"type": ["string", "null"]}, "slide_id": {"type": "string", "minLength": 1, "maxLength": 200},
                        "offer_code": {"type": ["string", "null"], "description": "code de l'offre DKLIK affichée"},
                        "trip_id": {"type": ["string", "null"]}, "stop_id": {"type": ["string", "null"]},
                        "shown_at": {"type": "integer", "minimum": 0, "maximum": 4102444800_i64, "description": "secondes Unix"},
                        "duration_s": {"type": "integer", "minimum": 1, "maximum": 3600}}}}}}},
                "responses": {"200": {"description": "Reçues, enregistrées, déjà connues, refusées (position et raison)", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"received": {"type": "integer"}, "recorded": {"type": "integer"}, "already": {"type": "integer"},
                        "refused": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"}, "error": {"type": "string"}}}}}}}}},
                    "400": {"description": "JSON illisible"}, "401": {"description": "Jeton manquant ou invalide"}, "413": {"description": "Corps trop gros"}, "422": {"description": "Plus de 5 000 impressions, ou une impression hors du schéma"}}
            }},
            "/api/v1/positions/counters": {"get": {
                "summary": "Positions acceptées et refusées depuis le démarrage (administrateurs)",
                "operationId": "positionCounters",
                "responses": {"200": {"description": "Compteurs"}}
            }},
            "/api/v1/stops/{stop}/offers": {"get": {
                "summary": "Les offres à distance de marche d'un arrêt, pour d'autres systèmes d'affichage (JSON, ou RSS avec format=rss)",
                "operationId": "stopOffers",
                "parameters": [{"name": "stop", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["", "json", "rss"]}}],
                "responses": {"200": {"description": "L'arrêt et ses offres, avec lien court et QR", "content": {
                    "application/json": {}, "application/rss+xml": {}}}, "404": not_found}
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "Ce document",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1"}}
            }}
        },
        "components": {"securitySchemes": {
            "feedToken": {"type": "http", "scheme": "bearer", "description": "Jeton d'un flux de positions (dk_…), créé par un administrateur"},
            "screenToken": {"type": "http", "scheme": "bearer", "description": "Jeton d'un écran (dk_…)"},
            "adminSession": {"type": "apiKey", "in": "cookie", "name": "dklik_session", "description": "Session d'un administrateur connecté"}
        }, "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "Position": {"type": "object", "required": ["vehicle", "lat", "lon", "timestamp"], "properties": {
                "vehicle": {"type": "string", "minLength": 1, "maxLength": 100}, "lat": {"type": "number"}, "lon": {"type": "number"},
                "timestamp": {"type": "integer", "minimum": 0, "maximum": 4102444800_i64, "description": "Secondes Unix"},
                "trip_id": {"type": ["string", "null"]}, "route_id": {"type": ["string", "null"]}, "stop_id": {"type": ["string", "null"]}}},
            "Employer": {"type": "object", "required": ["id", "name", "fictional"], "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": "string"},
                "fictional": {"type": "boolean", "description": "Entreprise de démonstration"}}},
            "Coordinates": {"type": "object", "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90}, "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
            "Site": {"type": "object", "properties": {
                "id": {"type": "integer"}, "employer_id": {"type": "integer"}, "name": {"type": "string"},
                "address": {"type": "string"}, "commune": {"type": "string"}, "insee": {"type": "string"},
                "coordinates": {"$ref": "#/components/schemas/Coordinates"}}},
            "RequiredItem": {"type": "object", "properties": {
                "code": {"type": "integer", "description": "code_ogr ROME"},
                "kind": {"type": "string", "enum": ["savoir_faire", "savoir", "savoir_etre"]},
                "label": {"type": "string"}, "level": {"type": "integer", "minimum": 1, "maximum": 4},
                "importance": {"type": "string", "enum": ["must", "nice"]}}},
            "Shift": {"type": "object", "properties": {
                "days": {"type": "integer", "description": "Jours (bit 0 = lundi … bit 6 = dimanche)"},
                "start": {"type": "integer", "description": "Minutes après minuit"},
                "end": {"type": "integer", "description": "Minutes après minuit ; avant start = le lendemain"}}},
            "Offer": {"type": "object", "required": ["id", "code", "title", "rome", "status"], "properties": {
                "id": {"type": "integer"}, "code": {"type": "string"}, "employer_id": {"type": "integer"},
                "employer_name": {"type": "string"}, "employer_fictional": {"type": "boolean"},
                "site": {"$ref": "#/components/schemas/Site"}, "external_id": {"type": ["string", "null"]},
                "title": {"type": "string"}, "description": {"type": "string"},
                "rome": {"type": "string"}, "rome_label": {"type": "string"},
                "appellation": {"type": ["integer", "null"]}, "appellation_label": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/RequiredItem"}},
                "shifts": {"type": "array", "items": {"$ref": "#/components/schemas/Shift"}},
                "contract": {"type": "string"}, "weekly_hours": {"type": ["number", "null"]},
                "positions": {"type": "integer"}, "no_diploma": {"type": "boolean"},
                "status": {"type": "string", "enum": ["draft", "published", "filled", "closed", "expired"]},
                "created_on": {"type": "string", "format": "date"}, "published_on": {"type": ["string", "null"], "format": "date"},
                "ended_on": {"type": ["string", "null"], "format": "date"}, "expires_on": {"type": ["string", "null"], "format": "date"}}}
        }}
    })
}

/// This module's routes: method, path, who may call it, handler (see `crate::routes`).
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::Who;
    use crate::routes::get;
    vec![
        get("/api/v1/openapi.json", Who::Anyone, openapi),
        get("/api/v1/offers", Who::Anyone, offers),
        get("/api/v1/offers/{code}", Who::Anyone, offer),
        get("/api/v1/employers", Who::Anyone, employers),
        get("/api/v1/employers/{id}", Who::Anyone, employer),
    ]
}
