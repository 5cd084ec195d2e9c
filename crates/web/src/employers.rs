//! Employers, their sites and their offers: in the advisors' space, add and change an
//! employer, place its sites, invite its contact, write an offer (a draft), then publish,
//! pause, fill or close it; in the employer's own space, the same for its own offers only
//! (another employer's offer is answered as an unknown one).

use crate::access::Identity;
use crate::error::AppError;
use crate::forms::{Field, FormPage};
use crate::skills::FormData;
use crate::SharedState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use dklik_app::employers::{self, EmployersError, OfferForm, SiteForm, SHIFT_ROWS};
use dklik_app::inbox::actor_label;
use dklik_domain::employer::EmployerForm;
use dklik_domain::{
    ContractType, EmployerId, FieldError, Offer, OfferStatus, Role, ShortCode, User,
};

fn me(id: &Identity) -> Result<&User, AppError> {
    id.user().ok_or(AppError::NotFound)
}

/// Whose space a page is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    /// An advisor or an administrator: every employer.
    Advisor,
    /// An employer's account: its own offers only.
    Employer(EmployerId),
}

impl Space {
    fn of(ident: &Identity) -> Result<(Space, &User), AppError> {
        let u = me(ident)?;
        match (u.role, u.employer_id) {
            (Role::Employer, Some(e)) => Ok((Space::Employer(e), u)),
            (Role::Employer, None) => Err(AppError::NotFound),
            _ => Ok((Space::Advisor, u)),
        }
    }

    fn advisor(self) -> bool {
        self == Space::Advisor
    }

    /// Where its offers' pages are.
    fn offers(self) -> &'static str {
        match self {
            Space::Advisor => "/conseil/offres",
            Space::Employer(_) => "/entreprise/offres",
        }
    }

    /// The employer's page in this space.
    fn home(self, e: EmployerId) -> String {
        match self {
            Space::Advisor => format!("/conseil/entreprises/{}", e.0),
            Space::Employer(_) => "/entreprise".into(),
        }
    }

    /// The new offer form of the employer in this space.
    fn new_offer(self, e: EmployerId) -> String {
        match self {
            Space::Advisor => format!("/conseil/entreprises/{}/offres/nouvelle", e.0),
            Space::Employer(_) => "/entreprise/offres/nouvelle".into(),
        }
    }

    /// The offer, when this space may see it.
    fn may_see(self, o: Offer) -> Result<Offer, AppError> {
        match self {
            Space::Employer(e) if o.employer_id != e => Err(AppError::NotFound),
            _ => Ok(o),
        }
    }
}

fn employer_id(s: &str) -> Result<EmployerId, AppError> {
    s.parse::<i64>()
        .map(EmployerId)
        .map_err(|_| AppError::NotFound)
}

/// The form's errors, or the store's failure.
fn errors_of(e: EmployersError) -> Result<Vec<FieldError>, AppError> {
    match e {
        EmployersError::Invalid(v) => Ok(v.errors),
        EmployersError::Store(s) => Err(s.into()),
    }
}

#[derive(Template)]
#[template(path = "employers.html")]
struct EmployersPage {
    notice: String,
    /// (employer id, employer, offer) waiting for review, then paused.
    to_review: Vec<(i64, String, String)>,
    /// Offers waiting for review beyond those shown.
    to_review_more: u64,
    paused: Vec<(i64, String, String)>,
    /// Paused offers beyond those shown.
    paused_more: u64,
    /// (id, name, published offers in words, fictional)
    rows: Vec<(i64, String, String, bool)>,
    q: String,
    /// "1 234 entreprises", or the like.
    caption: String,
    page: usize,
    pages: usize,
    prev_link: String,
    next_link: String,
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    ok: String,
}

/// The list's address: a notice, the words looked for, the page (read leniently).
#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

/// Employers per page of the list.
const EMPLOYERS_PER_PAGE: usize = 50;
/// Offers shown per state to handle (review, paused).
const PENDING_SHOWN: u32 = 20;

/// The employer page's address: a notice, an address to look up, or a place chosen among
/// the geocoder's answers (it fills the site form).
#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    adresse_cherchee: String,
    #[serde(default)]
    adresse: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    insee: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
}

pub async fn list(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    me(&ident)?;
    let query: String = q.q.chars().take(100).collect();
    let asked = q
        .page
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    let in_words = |n: u64| match n {
        0 => "Aucune offre publiée".to_string(),
        1 => "1 offre publiée".to_string(),
        n => format!("{n} offres publiées"),
    };
    // From memory (`dklik_app::directory`); until it is built, every employer from the
    // database, filtered by name.
    let find = |page: usize| {
        st.employers
            .find(&query, (page - 1) * EMPLOYERS_PER_PAGE, EMPLOYERS_PER_PAGE)
    };
    let mut found = find(asked);
    // Past the last page: the last page.
    if let Some(last) = found
        .as_ref()
        .map(|f| f.total.div_ceil(EMPLOYERS_PER_PAGE).max(1))
        .filter(|&last| last < asked)
    {
        found = find(last);
    }
    let found = match found {
        Some(f) => dklik_app::directory::Found {
            total: f.total,
            rows: f
                .rows
                .into_iter()
                .map(|e| (e.id.0, e.name, in_words(e.published), e.fictional))
                .collect(),
        },
        None => {
            let folded = dklik_domain::text::fold(&query);
            let all: Vec<_> = st
                .store
                .employers()
                .await?
                .into_iter()
                .filter(|e| {
                    let name = dklik_domain::text::fold(&e.employer.name);
                    folded.split_whitespace().all(|w| name.contains(w))
                })
                .collect();
            let last = all.len().div_ceil(EMPLOYERS_PER_PAGE).max(1);
            dklik_app::directory::Found {
                total: all.len(),
                rows: all
                    .into_iter()
                    .skip((asked.min(last) - 1) * EMPLOYERS_PER_PAGE)
                    .take(EMPLOYERS_PER_PAGE)
                    .map(|e| {
                        let n = e.published_offers;
                        (
                            e.employer.id.0,
                            e.employer.name,
                            in_words(n),
                            e.employer.fictional,
                        )
                    })
                    .collect(),
            }
        }
    };
    let pages = found.total.div_ceil(EMPLOYERS_PER_PAGE).max(1);
    let page = asked.min(pages);
    let link = |p: usize| {
        let mut url = String::from("/conseil/entreprises?");
        if !query.is_empty() {
            url.push_str(&format!("q={}&", crate::pages::encode(&query)));
        }
        format!("{url}page={p}")
    };
    let caption = match found.total {
        0 => "Aucune entreprise".to_string(),
        1 => "1 entreprise".to_string(),
        n => format!("{n} entreprises"),
    };
    let rows = found.rows;
    let notice = match q.ok.as_str() {
        "cree" => "L'entreprise est ajoutée.",
        _ => "",
    };
    let handle = to_handle(&st).await?;
    let (to_review, to_review_more) = handle.0[0].clone();
    let (paused, paused_more) = handle.0[1].clone();
    Ok(Html(
        EmployersPage {
            notice: notice.into(),
            to_review,
            to_review_more,
            paused,
            paused_more,
            rows,
            q: query.clone(),
            caption,
            page,
            pages,
            prev_link: link(page.saturating_sub(1).max(1)),
            next_link: link(page + 1),
        }
        .render()?,
    )
    .into_response())
}

/// The offers to handle: under review, then paused; of each, the first ones (employer id,
/// employer, "title (code)") and how many more.
pub struct ToHandle([Pending; 2]);

/// Of one state: the first offers (employer id, employer, "title (code)") and how many more.
type Pending = (Vec<(i64, String, String)>, u64);

/// The offers to handle as read, with the employers list's version then and when.
pub type KeptToHandle = ((i64, i64), std::time::Instant, std::sync::Arc<ToHandle>);

/// How long the offers to handle are kept at most.
const TO_HANDLE_KEPT: std::time::Duration = std::time::Duration::from_secs(2);

/// The offers to handle: from the copy kept with the employers list's version when it is
/// built, not older than 2 seconds (a change moves that version within a second; two in the
/// same second may not, the age bounds it), else read.
async fn to_handle(st: &SharedState) -> Result<std::sync::Arc<ToHandle>, AppError> {
    let version = st.employers.version();
    if let (Some(v), Ok(kept)) = (version, st.offers_to_handle.lock()) {
        if let Some((_, _, h)) = kept
            .as_ref()
            .filter(|(at, when, _)| *at == v && when.elapsed() < TO_HANDLE_KEPT)
        {
            return Ok(h.clone());
        }
    }
    // The first ones of each state to handle, and how many more (a few, usually; never every
    // one of thousands read in full).
    let mut pending = Vec::new();
    for status in [OfferStatus::Review, OfferStatus::Paused] {
        let (shown, total) = st.store.offers_to_handle(status, PENDING_SHOWN).await?;
        let more = total.saturating_sub(shown.len() as u64);
        pending.push((
            shown
                .into_iter()
                .map(|(o, employer)| (o.employer.0, employer, format!("{} ({})", o.title, o.code)))
                .collect::<Vec<_>>(),
            more,
        ));
    }
    let paused = pending.pop().unwrap_or_default();
    let review = pending.pop().unwrap_or_default();
    let h = std::sync::Arc::new(ToHandle([review, paused]));
    if let (Some(v), Ok(mut kept)) = (version, st.offers_to_handle.lock()) {
        *kept = Some((v, std::time::Instant::now(), h.clone()));
    }
    Ok(h)
}

fn employer_form_page(
    title: &'static str,
    action: String,
    csrf: &str,
    f: &EmployerForm,
    submit: &'static str,
) -> FormPage {
    FormPage {
        title,
        intro: vec!["Le SIRET est vérifié par sa clé : un chiffre mal recopié est signalé.".into()],
        action,
        csrf: csrf.to_string(),
        hidden: vec![],
        fields: vec![
            Field::new("nom", "Nom de l'entreprise", "text", "organization").value(&f.nom),
            Field::new("siret", "SIRET (14 chiffres)", "text", "off")
                .value(&f.siret)
                .hint("Sur un bulletin de paie, un devis ou l'annuaire des entreprises."),
            Field::new("naf", "Code NAF (facultatif)", "text", "off")
                .value(&f.naf)
                .hint("Par exemple 24.10Z."),
            Field::new("description", "Activité (facultatif)", "text", "off").value(&f.description),
            Field::new("contact", "Personne à contacter", "text", "name").value(&f.contact),
            Field::new("email", "Son e-mail", "email", "email").value(&f.email),
            Field::new("telephone", "Son téléphone", "tel", "tel").value(&f.telephone),
            Field {
                options: vec![
                    ("".into(), "Non : elles sont publiées aussitôt".into()),
                    ("oui".into(), "Oui : un conseiller les relit avant".into()),
                ],
                ..Field::new(
                    "relecture",
                    "Les offres écrites par l'entreprise attendent-elles la relecture d'un conseiller ?",
                    "text",
                    "off",
                )
                .value(&f.relecture)
            },
        ],
        submit,
        links: vec![("/conseil/entreprises", "Retour aux entreprises")],
        errors: vec![],
    }
}

fn employer_form_of(d: &FormData) -> EmployerForm {
    EmployerForm {
        nom: d.get("nom"),
        description: d.get("description"),
        siret: d.get("siret"),
        naf: d.get("naf"),
        contact: d.get("contact"),
        email: d.get("email"),
        telephone: d.get("telephone"),
        relecture: d.get("relecture").trim().to_lowercase(),
    }
}

pub async fn new_employer(Extension(ident): Extension<Identity>) -> Result<Response, AppError> {
    me(&ident)?;
    Ok(employer_form_page(
        "Ajouter une entreprise",
        "/conseil/entreprises/nouvelle".into(),
        ident.csrf(),
        &EmployerForm::default(),
        "Ajouter l'entreprise",
    )
    .respond(StatusCode::OK))
}

pub async fn create_employer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    me(&ident)?;
    let f = employer_form_of(&FormData::parse(&body));
    match employers::create_employer(st.store.as_ref(), &f, dklik_app::unix_now()).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/conseil/entreprises/{}?ok=cree", id.0)).into_response())
        }
        Err(e) => Ok(employer_form_page(
            "Ajouter une entreprise",
            "/conseil/entreprises/nouvelle".into(),
            ident.csrf(),
            &f,
            "Ajouter l'entreprise",
        )
        .with_errors(errors_of(e)?)
        .respond(StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

pub async fn edit_employer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    me(&ident)?;
    let id = employer_id(&id)?;
    let c = st
        .store
        .employer_card(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = EmployerForm {
        nom: c.employer.name,
        description: c.employer.description,
        siret: c.siret.unwrap_or_default(),
        naf: c.naf.unwrap_or_default(),
        contact: c.contact_name,
        email: c.contact_email.unwrap_or_default(),
        telephone: c.contact_phone.unwrap_or_default(),
        relecture: if c.review_offers {
            "oui".into()
        } else {
            String::new()
        },
    };
    Ok(employer_form_page(
        "Modifier l'entreprise",
        format!("/conseil/entreprises/{}/modifier", id.0),
        ident.csrf(),
        &f,
        "Enregistrer",
    )
    .respond(StatusCode::OK))
}

pub async fn update_employer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    me(&ident)?;
    let id = employer_id(&id)?;
    let f = employer_form_of(&FormData::parse(&body));
    match employers::update_employer(st.store.as_ref(), id, &f, dklik_app::unix_now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/conseil/entreprises/{}?ok=modifiee", id.0)).into_response())
        }
        Err(e) => Ok(employer_form_page(
            "Modifier l'entreprise",
            format!("/conseil/entreprises/{}/modifier", id.0),
            ident.csrf(),
            &f,
            "Enregistrer",
        )
        .with_errors(errors_of(e)?)
        .respond(StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

struct OfferView {
    /// Said when the same post is already published.
    warning: String,
    title: String,
    code: String,
    status: String,
    site: String,
    needs: String,
    history: Vec<String>,
    editable: bool,
    public: bool,
    /// (etat, button, dangerous)
    actions: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "employer.html")]
struct EmployerPage {
    advisor: bool,
    offers_base: &'static str,
    new_offer: String,
    invitations: Vec<String>,
    invite_fields: Vec<Field>,
    id: i64,
    name: String,
    notice: String,
    facts: Vec<String>,
    offers: Vec<OfferView>,
    sites: Vec<(String, String)>,
    site_fields: Vec<Field>,
    csrf: String,
    errors: Vec<FieldError>,
    geocoder: bool,
    searched: String,
    /// (label, link that fills the site form)
    places: Vec<(String, String)>,
    geocoder_said: String,
}

fn site_fields(f: &SiteForm, errors: &[FieldError]) -> Vec<Field> {
    let mut v = vec![
        Field::new("nom", "Nom du site", "text", "off").value(&f.nom),
        Field::new("adresse", "Adresse", "text", "off").value(&f.adresse),
        Field::new("commune", "Commune", "text", "off").value(&f.commune),
        Field::new("insee", "Code INSEE de la commune", "text", "off")
            .value(&f.insee)
            .hint("Par exemple 59183 pour Dunkerque (ce n'est pas le code postal)."),
        Field::new("latitude", "Latitude", "number", "off")
            .value(&f.latitude)
            .hint("Par exemple 51.0344 (un point ou une virgule)."),
        Field::new("longitude", "Longitude", "number", "off")
            .value(&f.longitude)
            .hint("Par exemple 2.3768."),
    ];
    for x in &mut v {
        x.error = errors
            .iter()
            .find(|e| e.field == x.name)
            .map(|e| e.message.clone());
    }
    v
}

fn actions_of(o: &Offer, space: Space, review: bool) -> Vec<(&'static str, &'static str, bool)> {
    use OfferStatus::*;
    let publish = if space.advisor() {
        "Publier"
    } else if review {
        "Envoyer pour relecture"
    } else {
        "Publier"
    };
    let ends = [
        ("pourvue", "Poste pourvu", false),
        ("fermer", "Fermer l'offre", true),
    ];
    match (o.status, space.advisor()) {
        (Draft, _) => vec![("publier", publish, false), ("fermer", "Abandonner", true)],
        (Review, true) => vec![
            ("publier", "Publier après relecture", false),
            ("brouillon", "Renvoyer en brouillon", false),
            ("fermer", "Abandonner", true),
        ],
        (Review, false) => vec![("brouillon", "Reprendre en brouillon", false)],
        (Published, _) => [("pause", "Mettre en pause", false)]
            .into_iter()
            .chain(ends)
            .collect(),
        (Paused, _) => [("publier", "Publier de nouveau", false)]
            .into_iter()
            .chain(ends)
            .collect(),
        (Filled | Closed | Expired, _) => vec![],
    }
}

async fn employer_page(
    st: &SharedState,
    ident: &Identity,
    id: EmployerId,
    notice: &str,
    site_form: &SiteForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    employer_page_with(st, ident, id, notice, site_form, errors, "").await
}

/// The employer's page again with what was refused at its top (422).
async fn refused(
    st: &SharedState,
    ident: &Identity,
    id: EmployerId,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    employer_page(st, ident, id, "", &SiteForm::default(), errors).await
}

fn invite_fields(d: &FormData, errors: &[FieldError]) -> Vec<Field> {
    let mut v = vec![
        Field::new("invite_nom", "Nom de la personne invitée", "text", "off")
            .value(&d.get("invite_nom")),
        Field::new("invite_email", "Son e-mail", "email", "off").value(&d.get("invite_email")),
    ];
    for x in &mut v {
        x.error = errors
            .iter()
            .find(|e| e.field == x.name)
            .map(|e| e.message.clone());
    }
    v
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn employer_page_with(
    st: &SharedState,
    ident: &Identity,
    id: EmployerId,
    notice: &str,
    site_form: &SiteForm,
    errors: Vec<FieldError>,
    searched: &str,
) -> Result<Response, AppError> {
    employer_page_full(
        st,
        ident,
        id,
        notice,
        site_form,
        errors,
        searched,
        &FormData::default(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn employer_page_full(
    st: &SharedState,
    ident: &Identity,
    id: EmployerId,
    notice: &str,
    site_form: &SiteForm,
    errors: Vec<FieldError>,
    searched: &str,
    invite: &FormData,
) -> Result<Response, AppError> {
    let (space, _) = Space::of(ident)?;
    let searched: String = searched.trim().chars().take(200).collect();
    let (mut places, mut geocoder_said) = (Vec::new(), String::new());
    if let (Some(url), false) = (&st.geocoder, searched.is_empty()) {
        match dklik_app::geocode::search(url, &searched, dklik_app::geocode::TIMEOUT).await {
            Ok(found) if found.is_empty() => {
                geocoder_said = "Aucune adresse trouvée : vérifiez l'orthographe, ou tapez la latitude et la longitude du site.".into();
            }
            Ok(found) => {
                places = found
                    .into_iter()
                    .map(|p| {
                        let link = format!(
                            "/conseil/entreprises/{}?adresse={}&commune={}&insee={}&latitude={:.6}&longitude={:.6}#ajouter-site",
                            id.0,
                            enc(&p.street),
                            enc(&p.city),
                            enc(&p.citycode),
                            p.lat,
                            p.lon
                        );
                        (p.label, link)
                    })
                    .collect();
            }
            Err(m) => {
                geocoder_said = format!(
                    "Recherche d'adresse impossible ({m}) : tapez la latitude et la longitude du site."
                );
            }
        }
    }
    let c = st
        .store
        .employer_card(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sites = st.store.sites(id).await?;
    let mut offers = Vec::new();
    let all = st.store.employer_offers(id).await?;
    for o in &all {
        let history = st
            .store
            .offer_status_changes(o.id)
            .await?
            .into_iter()
            .map(|h| {
                format!(
                    "{} → {} : {}, {}",
                    h.from.label_fr(),
                    h.to.label_fr(),
                    h.actor,
                    crate::orientation::when_fr(h.at)
                )
            })
            .collect();
        let twins: Vec<String> = employers::same_post(o, &all)
            .iter()
            .map(|t| t.code.to_string())
            .collect();
        let warning = if twins.is_empty() || o.status.is_final() {
            String::new()
        } else {
            format!(
                "Attention : une offre publiée pour le même métier sur ce site existe déjà ({}).",
                twins.join(", ")
            )
        };
        offers.push(OfferView {
            warning,
            title: o.title.clone(),
            code: o.code.to_string(),
            status: o.status.label_fr().to_string(),
            site: format!("{}, {}", o.site.name, o.site.commune),
            needs: match o.items.len() {
                0 => "Aucune compétence indiquée".to_string(),
                1 => "1 compétence indiquée".to_string(),
                n => format!("{n} compétences indiquées"),
            },
            history,
            editable: !o.status.is_final() && (space.advisor() || o.status != OfferStatus::Review),
            public: o.status == OfferStatus::Published,
            actions: actions_of(o, space, c.review_offers),
        });
    }
    let mut facts = Vec::new();
    if let Some(s) = &c.siret {
        match dklik_domain::employer::Siret::parse(s) {
            Ok(s) => facts.push(format!("SIRET {s}")),
            Err(_) => facts.push(format!("SIRET {s}")),
        }
    }
    if let Some(n) = &c.naf {
        facts.push(format!("NAF {n}"));
    }
    if !c.employer.description.is_empty() {
        facts.push(c.employer.description.clone());
    }
    let contact: Vec<String> = [
        Some(c.contact_name.clone()).filter(|s| !s.is_empty()),
        c.contact_email.clone(),
        c.contact_phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !contact.is_empty() {
        facts.push(format!("Contact : {}", contact.join(", ")));
    }
    if c.review_offers {
        facts.push(
            "Les offres écrites par l'entreprise sont relues par un conseiller avant d'être publiées."
                .into(),
        );
    }
    if c.employer.fictional {
        facts.push("Entreprise fictive (démonstration)".into());
    }
    let invitations = if space.advisor() {
        st.store
            .invitations(id)
            .await?
            .into_iter()
            .map(|i| match i.used_at {
                Some(t) => format!(
                    "{} ({}) : compte créé le {}",
                    i.display_name,
                    i.email,
                    crate::orientation::when_fr(t)
                ),
                None => format!(
                    "{} ({}) : invitée le {} par {}, lien valable jusqu'au {}",
                    i.display_name,
                    i.email,
                    crate::orientation::when_fr(i.created_at),
                    i.invited_by,
                    crate::orientation::when_fr(i.expires_at)
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let invite_fields = invite_fields(invite, &errors);
    let page = EmployerPage {
        advisor: space.advisor(),
        offers_base: space.offers(),
        new_offer: space.new_offer(id),
        invitations,
        invite_fields,
        id: id.0,
        name: c.employer.name,
        notice: notice.into(),
        facts,
        offers,
        sites: sites
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    format!("{}, {} ({})", s.address, s.commune, s.insee.as_str()),
                )
            })
            .collect(),
        site_fields: site_fields(site_form, &errors),
        csrf: ident.csrf().to_string(),
        errors,
        geocoder: st.geocoder.is_some(),
        searched,
        places,
        geocoder_said,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    me(&ident)?;
    let notice = match q.ok.as_str() {
        "cree" => "L'entreprise est ajoutée. Ajoutez son site, puis ses offres.",
        "modifiee" => "L'entreprise est modifiée.",
        "site" => "Le site est ajouté.",
        "offre" => "L'offre est enregistrée.",
        "etat" => "L'état de l'offre est changé.",
        "invitation" => "L'invitation est envoyée : le lien est valable 7 jours.",
        _ => "",
    };
    let chosen = SiteForm {
        adresse: q.adresse,
        commune: q.commune,
        insee: q.insee,
        latitude: q.latitude,
        longitude: q.longitude,
        ..Default::default()
    };
    employer_page_with(
        &st,
        &ident,
        employer_id(&id)?,
        notice,
        &chosen,
        vec![],
        &q.adresse_cherchee,
    )
    .await
}

/// The plan an employer's site is placed on: the bus stops and its sites, 320 × 240 pixels
/// (the size the page shows it at, so that a click's pixels are the drawing's).
async fn site_plan(
    st: &SharedState,
    employer: EmployerId,
) -> Result<Option<(crate::plan::Plan, Vec<(f64, f64)>, Vec<(f64, f64, String)>)>, AppError> {
    let stops: Vec<(f64, f64)> = st
        .screens
        .stops()
        .into_iter()
        .map(|s| (s.lat, s.lon))
        .collect();
    let sites: Vec<(f64, f64, String)> = st
        .store
        .sites(employer)
        .await?
        .into_iter()
        .map(|s| (s.coordinates.lat(), s.coordinates.lon(), s.name))
        .collect();
    let all: Vec<(f64, f64)> = stops
        .iter()
        .copied()
        .chain(sites.iter().map(|(a, b, _)| (*a, *b)))
        .collect();
    Ok(crate::plan::Plan::around(&all, 320.0, 240.0, 12.0).map(|p| (p, stops, sites)))
}

/// The plan as an image: grey bus stops, the employer's sites in blue.
pub async fn plan_image(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    me(&ident)?;
    let id = employer_id(&id)?;
    st.store.employer(id).await?.ok_or(AppError::NotFound)?;
    let mut svg = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 320 240\" width=\"320\" height=\"240\"><rect width=\"320\" height=\"240\" fill=\"#f4f7fb\" stroke=\"#767676\"/>",
    );
    if let Some((plan, stops, sites)) = site_plan(&st, id).await? {
        for (la, lo) in stops {
            let (x, y) = plan.xy(la, lo);
            svg.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\" fill=\"#767676\"/>"
            ));
        }
        for (la, lo, _) in sites {
            let (x, y) = plan.xy(la, lo);
            svg.push_str(&format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#0b5394\"/>"
            ));
        }
    }
    svg.push_str("</svg>");
    Ok(([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

pub async fn add_site(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    me(&ident)?;
    let id = employer_id(&id)?;
    st.store.employer(id).await?.ok_or(AppError::NotFound)?;
    let d = FormData::parse(&body);
    let mut f = SiteForm {
        nom: d.get("nom"),
        adresse: d.get("adresse"),
        commune: d.get("commune"),
        insee: d.get("insee"),
        latitude: d.get("latitude"),
        longitude: d.get("longitude"),
    };
    // A click on the plan: the form comes back with the point's coordinates, to check.
    let click = (
        d.get("plan.x").parse::<f64>(),
        d.get("plan.y").parse::<f64>(),
    );
    if let (Ok(x), Ok(y)) = click {
        if let Some((plan, _, _)) = site_plan(&st, id).await? {
            let (la, lo) = plan.lat_lon(x.clamp(0.0, plan.width), y.clamp(0.0, plan.height));
            f.latitude = format!("{la:.5}");
            f.longitude = format!("{lo:.5}");
            return employer_page(
                &st,
                &ident,
                id,
                "Le site est placé là où vous avez cliqué : vérifiez la latitude et la longitude, puis « Ajouter le site ».",
                &f,
                vec![],
            )
            .await;
        }
    }
    match employers::add_site(st.store.as_ref(), id, &f).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/conseil/entreprises/{}?ok=site", id.0)).into_response())
        }
        Err(e) => employer_page(&st, &ident, id, "", &f, errors_of(e)?).await,
    }
}

struct ShiftRow {
    n: usize,
    days_field: String,
    start_field: String,
    end_field: String,
    /// (value, label, checked)
    days: Vec<(u8, &'static str, bool)>,
    start: String,
    end: String,
}

#[derive(Template)]
#[template(path = "offer_form.html")]
struct OfferFormPage {
    title: &'static str,
    submit: &'static str,
    action: String,
    advisor: bool,
    home: String,
    employer: String,
    csrf: String,
    search: String,
    /// (OGR code, label)
    found: Vec<(i64, String)>,
    appellation: String,
    appellation_label: String,
    appellation_error: bool,
    form: OfferForm,
    sites: Vec<(String, String)>,
    contracts: Vec<(&'static str, &'static str)>,
    shift_rows: usize,
    shift_rows_view: Vec<ShiftRow>,
    errors: Vec<FieldError>,
}

impl OfferFormPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

const DAYS: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];

#[allow(clippy::too_many_arguments)]
async fn offer_form_page(
    st: &SharedState,
    ident: &Identity,
    employer: EmployerId,
    action: String,
    editing: bool,
    search: &str,
    mut form: OfferForm,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    let (space, _) = Space::of(ident)?;
    let emp = st
        .store
        .employer(employer)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = st.skills.get(st.store.as_ref()).await?;
    let found = employers::search_appellations(&r.appellations, search, 30)
        .into_iter()
        .map(|a| (a.code.0, a.label.clone()))
        .collect();
    let label = form
        .appellation
        .parse::<i64>()
        .ok()
        .and_then(|c| r.appellations.iter().find(|a| a.code.0 == c))
        .map(|a| a.label.clone());
    if label.is_none() {
        form.appellation.clear();
    }
    form.shifts.resize(SHIFT_ROWS, Default::default());
    let shift_rows_view = form
        .shifts
        .iter()
        .enumerate()
        .map(|(i, (days, start, end))| ShiftRow {
            n: i + 1,
            days_field: format!("jours{}", i + 1),
            start_field: format!("debut{}", i + 1),
            end_field: format!("fin{}", i + 1),
            days: (0..7u8)
                .map(|d| (d, DAYS[d as usize], days.contains(&d.to_string())))
                .collect(),
            start: start.clone(),
            end: end.clone(),
        })
        .collect();
    let appellation_error = errors.iter().any(|e| e.field == "code_rome");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = OfferFormPage {
        title: if editing {
            "Modifier l'offre"
        } else {
            "Nouvelle offre"
        },
        submit: if editing {
            "Enregistrer"
        } else {
            "Enregistrer le brouillon"
        },
        action,
        advisor: space.advisor(),
        home: space.home(employer),
        employer: emp.name,
        csrf: ident.csrf().to_string(),
        search: search.chars().take(100).collect(),
        found,
        appellation: form.appellation.clone(),
        appellation_label: label.unwrap_or_default(),
        appellation_error,
        sites: st
            .store
            .sites(employer)
            .await?
            .into_iter()
            .map(|s| (s.id.0.to_string(), format!("{}, {}", s.name, s.commune)))
            .collect(),
        contracts: ContractType::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_fr()))
            .collect(),
        shift_rows: SHIFT_ROWS,
        shift_rows_view,
        form,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct OfferQuery {
    #[serde(default)]
    metier: String,
    #[serde(default)]
    appellation: String,
}

pub async fn new_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    Query(q): Query<OfferQuery>,
) -> Result<Response, AppError> {
    me(&ident)?;
    new_offer_in(&st, &ident, employer_id(&id)?, q).await
}

/// The employer's own new offer form.
pub async fn my_new_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<OfferQuery>,
) -> Result<Response, AppError> {
    let Space::Employer(e) = Space::of(&ident)?.0 else {
        return Err(AppError::NotFound);
    };
    new_offer_in(&st, &ident, e, q).await
}

async fn new_offer_in(
    st: &SharedState,
    ident: &Identity,
    id: EmployerId,
    q: OfferQuery,
) -> Result<Response, AppError> {
    let (space, _) = Space::of(ident)?;
    let form = OfferForm {
        appellation: q.appellation,
        postes: "1".into(),
        envoi: dklik_app::callbacks::new_submission()?,
        ..Default::default()
    };
    offer_form_page(
        st,
        ident,
        id,
        space.new_offer(id),
        false,
        &q.metier,
        form,
        vec![],
    )
    .await
}

pub async fn create_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    me(&ident)?;
    create_offer_in(&st, &ident, employer_id(&id)?, &body).await
}

/// The employer's own new offer, posted.
pub async fn my_create_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let Space::Employer(e) = Space::of(&ident)?.0 else {
        return Err(AppError::NotFound);
    };
    create_offer_in(&st, &ident, e, &body).await
}

async fn create_offer_in(
    st: &SharedState,
    ident: &Identity,
    id: EmployerId,
    body: &Bytes,
) -> Result<Response, AppError> {
    let (space, u) = Space::of(ident)?;
    let d = FormData::parse(body);
    let form = OfferForm::from_pairs(d.pairs());
    let r = st.skills.get(st.store.as_ref()).await?;
    match employers::create_offer(
        st.store.as_ref(),
        &r,
        id,
        &form,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        // The next step: the skills the post needs.
        Ok(o) => {
            Ok(Redirect::to(&format!("{}/{}/competences", space.offers(), o.code)).into_response())
        }
        Err(e) => {
            offer_form_page(
                st,
                ident,
                id,
                space.new_offer(id),
                false,
                "",
                form,
                errors_of(e)?,
            )
            .await
        }
    }
}

/// The offer behind a code, when the caller's space may see it.
async fn offer_of(st: &SharedState, ident: &Identity, code: &str) -> Result<Offer, AppError> {
    let (space, _) = Space::of(ident)?;
    let code = ShortCode::parse(code).map_err(|_| AppError::NotFound)?;
    space.may_see(
        st.store
            .offer_by_code(&code)
            .await?
            .ok_or(AppError::NotFound)?,
    )
}

pub async fn edit_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    Query(q): Query<OfferQuery>,
) -> Result<Response, AppError> {
    let (space, _) = Space::of(&ident)?;
    let o = offer_of(&st, &ident, &code).await?;
    if !space.advisor() && o.status == OfferStatus::Review {
        return Err(AppError::NotFound);
    }
    let mut form = OfferForm::of(&o);
    if !q.appellation.is_empty() {
        form.appellation = q.appellation;
    }
    if !q.metier.is_empty() {
        form.appellation.clear();
    }
    offer_form_page(
        &st,
        &ident,
        o.employer_id,
        format!("{}/{}/modifier", space.offers(), o.code),
        true,
        &q.metier,
        form,
        vec![],
    )
    .await
}

pub async fn update_offer(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (space, _) = Space::of(&ident)?;
    let o = offer_of(&st, &ident, &code).await?;
    if !space.advisor() && o.status == OfferStatus::Review {
        return Err(AppError::NotFound);
    }
    let form = OfferForm::from_pairs(FormData::parse(&body).pairs());
    let r = st.skills.get(st.store.as_ref()).await?;
    match employers::update_offer(st.store.as_ref(), &r, &o, &form).await {
        Ok(()) => {
            st.pages.clear();
            Ok(Redirect::to(&format!("{}?ok=offre", space.home(o.employer_id))).into_response())
        }
        Err(e) => {
            offer_form_page(
                &st,
                &ident,
                o.employer_id,
                format!("{}/{}/modifier", space.offers(), o.code),
                true,
                "",
                form,
                errors_of(e)?,
            )
            .await
        }
    }
}

pub async fn change_status(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (space, u) = Space::of(&ident)?;
    let o = offer_of(&st, &ident, &code).await?;
    let to = match FormData::parse(&body).get("etat").as_str() {
        "publier" => OfferStatus::Published,
        "pause" => OfferStatus::Paused,
        "brouillon" => OfferStatus::Draft,
        "pourvue" => OfferStatus::Filled,
        "fermer" => OfferStatus::Closed,
        _ => {
            let why = vec![FieldError::new("etat", "Choisissez un changement d'état.")];
            return refused(&st, &ident, o.employer_id, why).await;
        }
    };
    let (store, actor, now) = (st.store.as_ref(), actor_label(u), dklik_app::unix_now());
    let done = match space {
        Space::Advisor => employers::change_status(store, &o, to, &actor, now)
            .await
            .map(|()| to),
        Space::Employer(_) => employers::employer_change_status(store, &o, to, &actor, now).await,
    };
    match done {
        Ok(reached) => {
            st.pages.clear();
            let ok = if reached == OfferStatus::Review {
                "relecture"
            } else {
                "etat"
            };
            Ok(Redirect::to(&format!("{}?ok={ok}", space.home(o.employer_id))).into_response())
        }
        Err(e) => refused(&st, &ident, o.employer_id, errors_of(e)?).await,
    }
}

pub async fn duplicate(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let (space, u) = Space::of(&ident)?;
    let o = offer_of(&st, &ident, &code).await?;
    match employers::duplicate_offer(
        st.store.as_ref(),
        &o,
        &actor_label(u),
        dklik_app::unix_now(),
    )
    .await
    {
        Ok(copy) => {
            Ok(Redirect::to(&format!("{}/{}/modifier", space.offers(), copy.code)).into_response())
        }
        Err(e) => refused(&st, &ident, o.employer_id, errors_of(e)?).await,
    }
}

/// The employer's own space: its offers, their states and what it may do with them.
pub async fn my_home(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Query(q): Query<Notice>,
) -> Result<Response, AppError> {
    let Space::Employer(e) = Space::of(&ident)?.0 else {
        return Err(AppError::NotFound);
    };
    let notice = match q.ok.as_str() {
        "bienvenue" => "Votre accès est prêt. Écrivez votre première offre : « Nouvelle offre ».",
        "offre" => "L'offre est enregistrée.",
        "etat" => "L'état de l'offre est changé.",
        "relecture" => {
            "L'offre est envoyée à votre conseiller : elle sera publiée après sa relecture."
        }
        _ => "",
    };
    employer_page(&st, &ident, e, notice, &SiteForm::default(), vec![]).await
}

/// Invites an employer's contact to an account (advisors).
pub async fn invite(
    State(st): State<SharedState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let u = me(&ident)?;
    let id = employer_id(&id)?;
    st.store.employer(id).await?.ok_or(AppError::NotFound)?;
    let d = FormData::parse(&body);
    let fail = |field: &str, m: String| vec![FieldError::new(field, m)];
    let errors = if d.get("invite_nom").trim().is_empty() {
        fail(
            "invite_nom",
            "Écrivez le nom de la personne invitée.".into(),
        )
    } else {
        match dklik_app::invitations::invite(
            st.store.as_ref(),
            u,
            id,
            &d.get("invite_nom"),
            &d.get("invite_email"),
            &st.base_url,
            dklik_app::unix_now(),
        )
        .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!(
                    "/conseil/entreprises/{}?ok=invitation#inviter",
                    id.0
                ))
                .into_response())
            }
            Err(dklik_app::auth::AuthError::Invalid(m)) => fail("invite_email", m),
            Err(e) => return Err(e.into()),
        }
    };
    employer_page_full(&st, &ident, id, "", &SiteForm::default(), errors, "", &d).await
}

pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::access::{Who, ADVISORS, EMPLOYER};
    use crate::routes::{get, post};
    vec![
        get("/entreprise", Who::Roles(EMPLOYER), my_home),
        get(
            "/entreprise/offres/nouvelle",
            Who::Roles(EMPLOYER),
            my_new_offer,
        ),
        post(
            "/entreprise/offres/nouvelle",
            Who::Roles(EMPLOYER),
            my_create_offer,
        ),
        get(
            "/entreprise/offres/{code}/modifier",
            Who::Roles(EMPLOYER),
            edit_offer,
        ),
        post(
            "/entreprise/offres/{code}/modifier",
            Who::Roles(EMPLOYER),
            update_offer,
        ),
        post(
            "/entreprise/offres/{code}/etat",
            Who::Roles(EMPLOYER),
            change_status,
        ),
        post(
            "/entreprise/offres/{code}/dupliquer",
            Who::Roles(EMPLOYER),
            duplicate,
        ),
        post(
            "/conseil/entreprises/{id}/inviter",
            Who::Roles(ADVISORS),
            invite,
        ),
        get("/conseil/entreprises", Who::Roles(ADVISORS), list),
        get(
            "/conseil/entreprises/nouvelle",
            Who::Roles(ADVISORS),
            new_employer,
        ),
        post(
            "/conseil/entreprises/nouvelle",
            Who::Roles(ADVISORS),
            create_employer,
        ),
        get("/conseil/entreprises/{id}", Who::Roles(ADVISORS), show),
        get(
            "/conseil/entreprises/{id}/modifier",
            Who::Roles(ADVISORS),
            edit_employer,
        ),
        post(
            "/conseil/entreprises/{id}/modifier",
            Who::Roles(ADVISORS),
            update_employer,
        ),
        post(
            "/conseil/entreprises/{id}/sites",
            Who::Roles(ADVISORS),
            add_site,
        ),
        get(
            "/conseil/entreprises/{id}/plan.svg",
            Who::Roles(ADVISORS),
            plan_image,
        ),
        get(
            "/conseil/entreprises/{id}/offres/nouvelle",
            Who::Roles(ADVISORS),
            new_offer,
        ),
        post(
            "/conseil/entreprises/{id}/offres/nouvelle",
            Who::Roles(ADVISORS),
            create_offer,
        ),
        get(
            "/conseil/offres/{code}/modifier",
            Who::Roles(ADVISORS),
            edit_offer,
        ),
        post(
            "/conseil/offres/{code}/modifier",
            Who::Roles(ADVISORS),
            update_offer,
        ),
        post(
            "/conseil/offres/{code}/etat",
            Who::Roles(ADVISORS),
            change_status,
        ),
        post(
            "/conseil/offres/{code}/dupliquer",
            Who::Roles(ADVISORS),
            duplicate,
        ),
    ]
}
