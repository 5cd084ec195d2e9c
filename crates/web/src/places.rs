//! The territory's places (communes and neighbourhoods, priority ones marked, a point each),
//! kept by administrators: journeys start from them, the list's bus filter reads them, people
//! are counted by them. A file of them is imported with `dklik import places`.

use crate::access::Identity;
use crate::account::TablePage;
use crate::error::AppError;
use crate::forms::{Field, FormPage};
use crate::skills::FormData;
use crate::SharedState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use dklik_domain::FieldError;
use dklik_imports::places::PlaceFields;

pub async fn list(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
) -> Result<Response, AppError> {
    let places = st.store.neighbourhoods().await?;
    TablePage {
        title: "Lieux du territoire".into(),
        intro: vec![
            format!("{} lieux. Les trajets en bus des offres partent de ces lieux (et des arrêts), le filtre « Accessible en bus depuis » les propose, les personnes sont comptées par quartier.", places.len()),
            "Un lieu déjà connu (même nom, même code commune) est corrigé quand on l'enregistre de nouveau. Un fichier entier s'importe avec « dklik import places FICHIER ».".into(),
        ],
        links: vec![
            ("/admin".into(), "Administration".into()),
            ("/admin/lieux/nouveau".into(), "Ajouter ou corriger un lieu".into()),
        ],
        headers: vec!["Nom", "Commune", "Code INSEE", "Quartier prioritaire", "Point"],
        rows: places
            .into_iter()
            .map(|p| {
                vec![
                    p.name,
                    p.commune,
                    p.insee,
                    if p.qpv { "oui" } else { "non" }.into(),
                    format!("{:.4}, {:.4}", p.lat, p.lon),
                ]
            })
            .collect(),
        empty: "Aucun lieu : ajoutez-en, ou importez le fichier du territoire.",
        forms: vec![],
        csrf: ident.csrf().to_string(),
    }
    .respond()
}

fn form(csrf: &str, f: &PlaceFields) -> FormPage {
    FormPage {
        title: "Ajouter ou corriger un lieu",
        intro: vec![
            "Le point représente le lieu pour les trajets en bus : le centre du quartier ou de la commune.".into(),
        ],
        action: "/admin/lieux/nouveau".into(),
        csrf: csrf.to_string(),
        hidden: vec![],
        fields: vec![
            Field::new("nom", "Nom du lieu", "text", "off").value(&f.nom),
            Field::new("commune", "Commune", "text", "off").value(&f.commune),
            Field::new("code_insee", "Code INSEE de la commune", "text", "off")
                .value(&f.code_insee)
                .hint("Par exemple 59183 pour Dunkerque (ce n'est pas le code postal)."),
            Field {
                options: vec![
                    ("non".into(), "Non".into()),
                    ("oui".into(), "Oui, quartier prioritaire (QPV)".into()),
                ],
                ..Field::new("qpv", "Quartier prioritaire de la ville ?", "text", "off")
                    .value(&f.qpv)
            },
            Field::new("latitude", "Latitude", "text", "off")
                .value(&f.latitude)
                .hint("Par exemple 51.0344 (un point ou une virgule)."),
            Field::new("longitude", "Longitude", "text", "off")
                .value(&f.longitude)
                .hint("Par exemple 2.3768."),
        ],
        submit: "Enregistrer le lieu",
        links: vec![("/admin/lieux", "Retour aux lieux")],
        errors: vec![],
    }
}

pub async fn new_place(Extension(ident): Extension<Identity>) -> Response {
    form(ident.csrf(), &PlaceFields::default()).respond(StatusCode::OK)
}

pub async fn save_place(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let d = FormData::parse(&body);
    let f = PlaceFields {
        nom: d.get("nom"),
        commune: d.get("commune"),
        code_insee: d.get("code_insee"),
        qpv: d.get("qpv"),
        latitude: d.get("latitude"),
        longitude: d.get("longitude"),
    };
    match dklik_imports::places::check(&f) {
        Ok(p) => {
            st.store
                .save_neighbourhoods(std::slice::from_ref(&p))
                .await?;
            st.pages.clear();
            Ok(Redirect::to("/admin/lieux").into_response())
        }
        Err(errs) => {
            let errors = errs
                .into_iter()
                .map(|(field, m)| FieldError::new(field, capitalise(m.as_str())))
                .collect();
            Ok(form(ident.csrf(), &f)
                .with_errors(errors)
                .respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADMIN};
    use crate::routes::{get, post};
    vec![
        get("/admin/lieux", Who::Roles(ADMIN), list),
        get("/admin/lieux/nouveau", Who::Roles(ADMIN), new_place),
        post("/admin/lieux/nouveau", Who::Roles(ADMIN), save_place),
    ]
}
