//! `dklik demo`: a fresh SQLite database with a small ROME release and 64 offers of fictional
//! employers in the Dunkerque area's industrial zones. Everything is embedded in the binary.

use anyhow::{bail, Context, Result};
use dklik_app::Store;
use std::collections::HashMap;
use std::sync::Arc;

macro_rules! rome_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../fixtures/rome/", $name)).as_slice(),
        )
    };
}

const ROME_FILES: [(&str, &[u8]); 8] = [
    rome_file!("unix_referentiel_code_rome.csv"),
    rome_file!("unix_referentiel_appellation.csv"),
    rome_file!("unix_referentiel_competence.csv"),
    rome_file!("unix_referentiel_savoir.csv"),
    rome_file!("unix_referentiel_contexte_travail.csv"),
    rome_file!("unix_coherence_item.csv"),
    rome_file!("unix_rubrique_mobilite.csv"),
    rome_file!("unix_grand_domaine.csv"),
];

macro_rules! gtfs_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../fixtures/gtfs/dunkerque-demo/", $name)).as_slice(),
        )
    };
}

/// The fictional bus network of the demo (see scripts/make-demo-gtfs.py).
const GTFS_FILES: [(&str, &[u8]); 9] = [
    gtfs_file!("agency.txt"),
    gtfs_file!("feed_info.txt"),
    gtfs_file!("routes.txt"),
    gtfs_file!("stops.txt"),
    gtfs_file!("trips.txt"),
    gtfs_file!("stop_times.txt"),
    gtfs_file!("calendar.txt"),
    gtfs_file!("calendar_dates.txt"),
    gtfs_file!("shapes.txt"),
];

/// The Dunkerque territory's places (communes and their parts), as in the repository.
pub const TERRITORY_PLACES: &[u8] = include_bytes!("../../../territoire/lieux-dunkerque.csv");
pub const DEMO_OFFERS: &[u8] = include_bytes!("../../../fixtures/offers/demo-offres.csv");

/// The demo's accounts, printed when it starts.
pub struct DemoAccounts {
    pub base: String,
    pub lines: Vec<String>,
    /// The demo feed sender's token, used by the simulated buses.
    pub feed_token: String,
}

/// The demo's bus network, parsed.
pub fn feed() -> Result<dklik_transit::gtfs::Feed> {
    let files: HashMap<String, Vec<u8>> = GTFS_FILES
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    dklik_transit::gtfs::parse(&files)
        .map_err(|e| anyhow::anyhow!("réseau de démonstration illisible : {e}"))
}

impl DemoAccounts {
    pub fn print(&self) {
        say!("Comptes de démonstration (mot de passe pour tous : {DEMO_PASSWORD}) :");
        for l in &self.lines {
            say!("  {l}");
        }
        say!("  Connexion : {}/connexion", self.base);
    }
}

/// Where the demo's buses start: the current time of day on a weekday timetable (the next
/// working day when today is a weekend or a holiday), so that buses run whenever the demo is
/// opened; at night, from 7:00.
pub fn replay_start(now: time::OffsetDateTime) -> (time::Date, u32) {
    let mut day = now.date();
    while !dklik_domain::calendar::is_working_day(day) {
        day += time::Duration::days(1);
    }
    let t = u32::from(now.hour()) * 3600 + u32::from(now.minute()) * 60;
    let t = if (5 * 3600..23 * 3600).contains(&t) {
        t
    } else {
        7 * 3600
    };
    (day, t)
}

/// The demo writes its email as files beside its database.
pub fn mail_dir(db: &str) -> std::path::PathBuf {
    let path = db.strip_prefix("sqlite://").unwrap_or(db);
    std::path::Path::new(path)
        .parent()
        .map(|p| p.join("mails"))
        .unwrap_or_else(|| "mails".into())
}

/// The password of every demo account: a demo, never a real deployment.
pub const DEMO_PASSWORD: &str = "demo-dklik-2026";

/// Removes the demo database, then fills a new one.
pub async fn prepare(db: &str, listen: &str) -> Result<(Arc<dyn Store>, DemoAccounts)> {
    let Some(path) = db.strip_prefix("sqlite://") else {
        bail!("la démo utilise une base SQLite (sqlite://FICHIER)");
    };
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{path}{suffix}");
        if std::path::Path::new(&p).exists() {
            std::fs::remove_file(&p).with_context(|| format!("suppression de {p} impossible"))?;
        }
    }
    let store = crate::open_store(db).await?;
    let files: HashMap<String, Vec<u8>> = ROME_FILES
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    let rome = match dklik_imports::rome::parse_files(&files) {
        Ok(r) => r,
        Err(e) => bail!("référentiel de démonstration illisible : {e}"),
    };
    store.save_rome(&rome, &|_| {}).await?;
    let raw = match dklik_imports::offers::read("demo-offres.csv", DEMO_OFFERS) {
        Ok(r) => r,
        Err(e) => bail!("offres de démonstration illisibles : {e}"),
    };
    let out = dklik_app::offers::import_offers(store.as_ref(), raw, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    say!(
        "Démo prête : {} offres d'entreprises fictives, base {path}.",
        out.created
    );
    let feed = feed()?;
    store.save_gtfs(&feed, &|_| {}).await?;
    say!(
        "Réseau de bus fictif : {} lignes, {} arrêts, {} courses.",
        feed.routes.len(),
        feed.stops.len(),
        feed.trips.len()
    );
    screen_settings(store.as_ref()).await?;
    skills_demo(store.as_ref()).await?;
    orientation_demo(store.as_ref()).await?;
    impact_demo(store.as_ref(), &feed).await?;
    let accounts = demo_accounts(store.as_ref(), listen, db).await?;
    offer_life_demo(store.as_ref(), &accounts.base).await?;
    Ok((store, accounts))
}

/// The life of offers as the advisors' and the employer's pages show it: the demo employer's
/// (rh@dklik.demo) copy of an offer waiting for an advisor's review, another offer paused for
/// want of an answer to "toujours d'actualité ?", and an invitation not yet accepted.
async fn offer_life_demo(store: &dyn Store, base: &str) -> Result<()> {
    use dklik_domain::OfferStatus;
    let now = dklik_app::unix_now();
    let err = |e: dklik_app::employers::EmployersError| anyhow::anyhow!("{e}");
    let rh = store
        .user_by_email("rh@dklik.demo")
        .await?
        .context("le compte entreprise de la démo manque")?;
    let camille = store
        .user_by_email("conseil@dklik.demo")
        .await?
        .context("le compte conseiller de la démo manque")?;
    let employer = rh
        .employer_id
        .context("compte entreprise sans entreprise")?;
    let offers: Vec<_> = store
        .employer_offers(employer)
        .await?
        .into_iter()
        .filter(|o| {
            o.status == OfferStatus::Published && !o.items.is_empty() && !o.shifts.is_empty()
        })
        .collect();
    let (Some(first), Some(second)) = (offers.first(), offers.get(1)) else {
        bail!("la démo n'a pas deux offres publiées pour la même entreprise");
    };
    let rh_label = dklik_app::inbox::actor_label(&rh);
    let copy = dklik_app::employers::duplicate_offer(store, first, &rh_label, now)
        .await
        .map_err(err)?;
    dklik_app::employers::change_status(store, &copy, OfferStatus::Review, &rh_label, now)
        .await
        .map_err(err)?;
    store
        .answer_offer_check(
            None,
            second.id,
            dklik_app::employer_store::CheckAnswer::Paused,
            dklik_app::today_paris(),
            dklik_app::offer_checks::TASK,
            now,
        )
        .await?;
    dklik_app::invitations::invite(
        store,
        &camille,
        employer,
        "Sam (direction)",
        "direction@dklik.demo",
        base,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The demo's neighbourhoods (fictional, placed on the demo network): name, commune, INSEE
/// code, priority neighbourhood, latitude, longitude.
pub const NEIGHBOURHOODS: [(&str, &str, &str, bool, f64, f64); 10] = [
    (
        "Europe (démo)",
        "Grande-Synthe",
        "59271",
        true,
        51.0117,
        2.2920,
    ),
    (
        "Moulin (démo)",
        "Grande-Synthe",
        "59271",
        true,
        51.0150,
        2.3070,
    ),
    (
        "Centre (démo)",
        "Grande-Synthe",
        "59271",
        false,
        51.0136,
        2.3029,
    ),
    (
        "Petite-Synthe (démo)",
        "Dunkerque",
        "59183",
        false,
        51.0212,
        2.3140,
    ),
    (
        "Basse-Ville (démo)",
        "Dunkerque",
        "59183",
        true,
        51.0305,
        2.3684,
    ),
    (
        "Rosendaël (démo)",
        "Dunkerque",
        "59183",
        false,
        51.0381,
        2.4005,
    ),
    (
        "Saint-Pol Centre (démo)",
        "Saint-Pol-sur-Mer",
        "59540",
        true,
        51.0296,
        2.3385,
    ),
    (
        "Coudekerque Mairie (démo)",
        "Coudekerque-Branche",
        "59155",
        true,
        51.0225,
        2.3930,
    ),
    (
        "Loon-Plage Centre (démo)",
        "Loon-Plage",
        "59359",
        false,
        50.9968,
        2.2183,
    ),
    (
        "Gravelines Centre (démo)",
        "Gravelines",
        "59273",
        false,
        50.9866,
        2.1280,
    ),
];

/// The OrientaKlik catalogue of the demo: two services per trade of the demo's ROME (40), in
/// turn of every kind, with sessions over the coming weeks; and the agenda: Cafés de l'emploi,
/// the job bus's stops and mobile-team rounds.
async fn orientation_demo(store: &dyn Store) -> Result<()> {
    use dklik_domain::orientation::{Event, EventKind, OrientationService, PlaceKind, ServiceKind};
    let now = dklik_app::unix_now();
    let today = dklik_app::today_paris();
    let trades = store.rome_catalogue().await?.jobs;
    // (kind, how it is named, what it is, minutes, places, where, equipment)
    let kinds: [(ServiceKind, &str, &str, u32, u32, PlaceKind, &str); 7] = [
        (ServiceKind::EscapeGame, "Escape game", "En équipe de 4 à 6, résoudre les énigmes d'un atelier en panne avant la fin de la journée de production. On découvre les gestes et le vocabulaire du métier en jouant.", 60, 6, PlaceKind::JobBus, "Salle d'énigmes mobile"),
        (ServiceKind::Vr, "Réalité virtuelle", "Avec un casque, on se met au poste : on voit, on entend et on fait les gestes du métier, sans risque.", 30, 4, PlaceKind::JobBus, "4 casques de réalité virtuelle"),
        (ServiceKind::SeriousGame, "Jeu grand format", "Un jeu de plateau géant sur le parcours d'une pièce, de la commande à la livraison : chacun tient un poste.", 90, 12, PlaceKind::Partner, "Plateau de jeu 4 × 4 m"),
        (ServiceKind::CompanyVisit, "Visite d'entreprise", "Une matinée dans une entreprise du territoire : l'atelier, les équipes, les horaires, les questions qu'on n'ose pas poser.", 180, 10, PlaceKind::Address, "Chaussures fermées fournies"),
        (ServiceKind::JobLabo, "Job Labo", "Un atelier où l'on essaie pour de vrai, encadré par un tuteur qui note ce qu'il voit faire.", 180, 8, PlaceKind::Partner, "Postes d'essai et équipements de protection"),
        (ServiceKind::Immersion, "Une semaine au chantier-école", "Cinq jours au chantier-école, comme un salarié : horaires, consignes, travail en équipe. Bilan le vendredi.", 5 * 7 * 60, 6, PlaceKind::Address, "Tenue de travail prêtée"),
        (ServiceKind::Workshop, "Atelier découverte", "Deux heures pour comprendre le métier, ses horaires, son salaire, et comment y entrer sans diplôme.", 120, 15, PlaceKind::Partner, "Vidéos et objets du métier"),
    ];
    let places = [
        "Maison de l'emploi, Grande-Synthe (démo)",
        "Centre social de la Basse-Ville, Dunkerque (démo)",
        "Chantier-école, Gravelines (démo)",
        "Bus de l'emploi",
    ];
    let mut n = 0usize;
    let mut services = Vec::new();
    for (i, job) in trades.iter().enumerate() {
        for round in 0..2 {
            let (kind, prefix, what, minutes, capacity, place_kind, equipment) =
                kinds[(i * 2 + round) % kinds.len()];
            let place = match place_kind {
                PlaceKind::JobBus => "Bus de l'emploi".to_string(),
                _ => places[(i + round) % 3].to_string(),
            };
            let id = store
                .create_service(
                    &OrientationService {
                        id: 0,
                        name: format!("{prefix} : {} (démo)", job.label),
                        kind,
                        audience: if round == 0 {
                            "Tout public, dès 16 ans, sans diplôme".into()
                        } else {
                            "Personnes accompagnées par un conseiller".into()
                        },
                        description: what.into(),
                        duration_min: minutes,
                        place_kind,
                        place,
                        equipment: equipment.into(),
                        capacity,
                        provider: "Réseau OrientaKlik (démo)".into(),
                        trades: vec![job.code.clone()],
                        fictional: true,
                    },
                    now,
                )
                .await?;
            services.push((id, capacity, minutes));
            n += 1;
        }
    }
    for (k, (id, capacity, minutes)) in services.iter().enumerate() {
        for week in 0..2i64 {
            let day = today + time::Duration::days(2 + (k as i64 % 5) + week * 7);
            let start = dklik_app::paris_instant(day, if k % 2 == 0 { 9 * 60 } else { 14 * 60 });
            store
                .create_orientation_session(
                    *id,
                    start,
                    start + i64::from(*minutes) * 60,
                    places[k % places.len()],
                    *capacity,
                    now,
                )
                .await?;
        }
    }
    let employers: Vec<dklik_domain::EmployerId> = store
        .employers()
        .await?
        .iter()
        .take(4)
        .map(|e| e.employer.id)
        .collect();
    let offers: Vec<dklik_domain::OfferId> = store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 6,
            ..Default::default()
        })
        .await?
        .offers
        .iter()
        .map(|o| o.id)
        .collect();
    let event = |kind,
                 title: &str,
                 description: &str,
                 days: i64,
                 from: u16,
                 to: u16,
                 place: &str,
                 lat,
                 lon| {
        let day = today + time::Duration::days(days);
        Event {
            id: 0,
            code: String::new(),
            kind,
            title: title.into(),
            description: description.into(),
            starts_at: dklik_app::paris_instant(day, from),
            ends_at: dklik_app::paris_instant(day, to),
            place: place.into(),
            lat: Some(lat),
            lon: Some(lon),
            cancelled: false,
            employers: vec![],
            offers: vec![],
            registrations: 0,
        }
    };
    let list = [
        event(
            EventKind::CafeEmploi,
            "Café de l'emploi : industrie (démo)",
            "Des recruteurs de l'industrie, des offres, un café. Venez sans CV.",
            3,
            9 * 60,
            12 * 60,
            "Maison de l'emploi, Grande-Synthe (démo)",
            51.0136,
            2.3029,
        ),
        event(
            EventKind::CafeEmploi,
            "Café de l'emploi : logistique (démo)",
            "Caristes, préparateurs de commandes : rencontrez les entreprises du port.",
            10,
            9 * 60,
            12 * 60,
            "Centre social de la Basse-Ville, Dunkerque (démo)",
            51.0305,
            2.3684,
        ),
        event(
            EventKind::CafeEmploi,
            "Café de l'emploi : tous métiers (démo)",
            "Toutes les offres du moment et les conseillers.",
            17,
            14 * 60,
            17 * 60,
            "Mairie de Loon-Plage (démo)",
            50.9968,
            2.2183,
        ),
        event(
            EventKind::BusEmploi,
            "Le bus de l'emploi à Grande-Synthe Europe (démo)",
            "À bord : les offres du jour, les casques de réalité virtuelle, un conseiller.",
            1,
            9 * 60,
            12 * 60,
            "Arrêt Grande-Synthe Europe",
            51.0117,
            2.2920,
        ),
        event(
            EventKind::BusEmploi,
            "Le bus de l'emploi à Saint-Pol Centre (démo)",
            "À bord : les offres du jour et l'escape game.",
            2,
            14 * 60,
            17 * 60,
            "Arrêt Saint-Pol Centre",
            51.0296,
            2.3385,
        ),
        event(
            EventKind::BusEmploi,
            "Le bus de l'emploi à Coudekerque Mairie (démo)",
            "À bord : les offres du jour et un conseiller.",
            4,
            9 * 60,
            12 * 60,
            "Arrêt Coudekerque Mairie",
            51.0225,
            2.3930,
        ),
        event(
            EventKind::BusEmploi,
            "Le bus de l'emploi à Gravelines Centre (démo)",
            "À bord : le jeu grand format sur la logistique.",
            8,
            9 * 60,
            16 * 60,
            "Arrêt Gravelines Centre",
            50.9866,
            2.1280,
        ),
        event(
            EventKind::Tournee,
            "Tournée de l'équipe mobile : Moulin (démo)",
            "L'équipe mobile passe au pied des immeubles.",
            2,
            16 * 60,
            19 * 60,
            "Quartier du Moulin, Grande-Synthe",
            51.0150,
            2.3070,
        ),
        event(
            EventKind::Tournee,
            "Tournée de l'équipe mobile : Basse-Ville (démo)",
            "Porte-à-porte et stand devant le centre social.",
            5,
            10 * 60,
            13 * 60,
            "Basse-Ville, Dunkerque",
            51.0305,
            2.3684,
        ),
    ];
    for e in &list {
        let (emp, off): (&[dklik_domain::EmployerId], &[dklik_domain::OfferId]) =
            if e.kind == EventKind::CafeEmploi {
                (&employers, &offers)
            } else {
                (&[], &[])
            };
        store.create_event(e, emp, off, now).await?;
    }
    say!(
        "OrientaKlik : {n} activités, {} séances, {} événements à l'agenda.",
        n * 2,
        list.len()
    );
    Ok(())
}

/// Neighbourhoods (fictional, placed on the demo network), two tests of the catalogue with a
/// session, and one person followed by an advisor with skills of every kind of evidence.
async fn skills_demo(store: &dyn Store) -> Result<()> {
    use dklik_domain::{
        Evidence, Level, Modality, OgrCode, SkillEvidence, SkillTest, TestItem, TestTarget,
    };
    let now = dklik_app::unix_now();
    let hoods: Vec<dklik_domain::Neighbourhood> = NEIGHBOURHOODS
        .into_iter()
        .map(
            |(name, commune, insee, qpv, lat, lon)| dklik_domain::Neighbourhood {
                id: 0,
                name: name.into(),
                commune: commune.into(),
                insee: insee.into(),
                qpv,
                lat,
                lon,
                fictional: true,
            },
        )
        .collect();
    store.save_neighbourhoods(&hoods).await?;
    // The territory's real communes too: journeys can start from them.
    let places = dklik_imports::places::read(TERRITORY_PLACES)
        .map_err(|e| anyhow::anyhow!("lieux du territoire : {e}"))?;
    store.save_neighbourhoods(&places).await?;
    let rubric = |a: &str, b: &str, c: &str, d: &str| [a.to_string(), b.into(), c.into(), d.into()];
    let employers: Vec<i64> = store
        .employers()
        .await?
        .iter()
        .take(3)
        .map(|e| e.employer.id.0)
        .collect();
    let t1 = store
        .create_test(
            &SkillTest {
                id: 0,
                name: "Assemblage sur ligne en équipe (démo)".into(),
                description: "Une mise en situation de 90 minutes : monter un ensemble à quatre, au rythme d'une ligne.".into(),
                modality: Modality::Simulation,
                duration_min: 90,
                capacity: 8,
                items: vec![
                    TestItem { target: TestTarget::Habilete(7), label: "Travailler en équipe".into(), rubric: rubric("Travaille à côté des autres", "Aide quand on le lui demande", "Se coordonne avec l'équipe", "Organise le travail du groupe") },
                    TestItem { target: TestTarget::Habilete(6), label: "Respecter des normes et des consignes".into(), rubric: rubric("Oublie des consignes", "Suit les consignes avec rappel", "Suit toutes les consignes", "Repère une consigne mal appliquée") },
                    TestItem { target: TestTarget::Habilete(10), label: "Exécuter des gestes avec dextérité".into(), rubric: rubric("Gestes hésitants", "Gestes justes, lents", "Gestes justes au rythme", "Gestes sûrs et rapides") },
                ],
                employers: employers.clone(),
            },
            now,
        )
        .await?;
    store
        .create_test(
            &SkillTest {
                id: 0,
                name: "Soudure simple au poste (démo)".into(),
                description:
                    "Au chantier-école : préparer, pointer et souder un assemblage simple.".into(),
                modality: Modality::Practical,
                duration_min: 120,
                capacity: 4,
                items: vec![
                    TestItem {
                        target: TestTarget::Rome(OgrCode(105980)),
                        label: "Assembler et positionner les pièces".into(),
                        rubric: rubric(
                            "Avec aide",
                            "Seul, avec reprises",
                            "Seul, conforme",
                            "Seul, conforme et rapide",
                        ),
                    },
                    TestItem {
                        target: TestTarget::Habilete(3),
                        label: "Maintenir son attention dans la durée".into(),
                        rubric: rubric(
                            "Se disperse",
                            "Tient 30 minutes",
                            "Tient toute l'épreuve",
                            "Tient et vérifie son travail",
                        ),
                    },
                ],
                employers: employers.into_iter().take(1).collect(),
            },
            now,
        )
        .await?;
    let next_week = dklik_app::today_paris() + time::Duration::days(7);
    store
        .create_test_session(
            t1,
            dklik_app::paris_instant(next_week, 9 * 60),
            "Maison de l'emploi, Grande-Synthe (démo)",
            8,
            now,
        )
        .await?;
    let hoods = store.neighbourhoods().await?;
    let form = dklik_domain::PersonForm {
        prenom: "Yasmine".into(),
        nom: "Exemple".into(),
        telephone: "06 00 00 00 01".into(),
        commune: "Grande-Synthe".into(),
        quartier: hoods.first().map(|h| h.id.to_string()).unwrap_or_default(),
        mobilite: vec!["bus".into()],
        jours: vec!["0".into(), "1".into(), "2".into(), "3".into(), "4".into()],
        horaires: vec!["tot".into(), "matin".into()],
        contraintes: "Personne fictive de démonstration.".into(),
        ..Default::default()
    };
    let input = form
        .validate(|id| hoods.iter().find(|h| h.id == id).map(|h| h.qpv))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let person = store.create_person(&input, now).await?;
    let ev = |item: i64, level: u8, evidence: Evidence, source: &str| SkillEvidence {
        id: 0,
        person_id: person,
        item: OgrCode(item),
        level: Level::new(level).unwrap_or(Level::DEFAULT),
        evidence,
        source: source.into(),
        recorded_by: "Camille (conseillère)".into(),
        at: now,
    };
    store
        .add_skill_evidence(&[
            ev(
                300489,
                3,
                Evidence::SelfAssessed,
                "Entraîne les U12 du club de foot",
            ),
            ev(
                300465,
                3,
                Evidence::Observed,
                "Job Labo : assemblage en équipe",
            ),
            ev(
                105980,
                2,
                Evidence::Tested,
                "Test « Soudure simple au poste »",
            ),
            ev(300490, 2, Evidence::Declared, "Entretien"),
        ])
        .await?;
    // An introduction of the demo person, taken from suggestion to hire.
    if let Some(o) = store.offer_by_external_id("DEMO-005").await? {
        use dklik_domain::matching::IntroStatus::*;
        let intro = store
            .create_introduction(&dklik_app::introduction_store::NewIntroduction {
                person_id: person,
                offer_id: o.id,
                score: 0.72,
                created_by: None,
                at: now - 20 * 86_400,
                due_at: now - 13 * 86_400,
                actor: "Camille (conseillère)".into(),
            })
            .await?;
        let mut from = Suggested;
        for (to, days, actor) in [
            (Discussed, 18, "Camille (conseillère)"),
            (Agreed, 17, "Camille (conseillère)"),
            (Sent, 16, "Camille (conseillère)"),
            (Interview, 10, "Nadia (RH)"),
            (Hired, 3, "Nadia (RH)"),
        ] {
            store
                .change_introduction(&dklik_app::introduction_store::IntroChange {
                    id: intro,
                    from,
                    to,
                    at: now - days * 86_400,
                    due_at: to.deadline_days().map(|d| now - days * 86_400 + d * 86_400),
                    actor: actor.into(),
                    note: String::new(),
                    reason: String::new(),
                    feedback: String::new(),
                })
                .await?;
            from = to;
        }
    }
    for (kind, summary) in [
        ("record", "Dossier créé"),
        ("questionnaire", "Questionnaire des qualités : 4 qualité(s)"),
        ("job_labo", "Job Labo : assemblage en équipe"),
        ("test", "Résultats du test « Soudure simple au poste »"),
    ] {
        dklik_app::skills::record_step(
            store,
            person,
            dklik_app::skills::Step {
                kind,
                channel: "conseiller",
                summary,
                reference: "",
            },
            "Camille (conseillère)",
            now,
        )
        .await?;
    }
    Ok(())
}

/// What the team would have set for the screens: this week's messages, two physical screens,
/// a fence around the first employer's first site.
async fn screen_settings(store: &dyn Store) -> Result<()> {
    let now = dklik_app::unix_now();
    let today = dklik_app::now_paris().date();
    let week = today + time::Duration::days(6);
    for text in [
        "Café de l'emploi jeudi à 9 h, Maison de l'emploi de Grande-Synthe (démo)",
        "Le bus de l'emploi est aujourd'hui place de la gare (démo)",
    ] {
        store
            .add_screen_message(
                &dklik_app::store::ScreenMessage {
                    id: 0,
                    text: text.into(),
                    from: today,
                    to: week,
                },
                now,
            )
            .await?;
    }
    for (id, label) in [
        ("demo-ecran-avant", "Écran avant"),
        ("demo-ecran-arriere", "Écran arrière"),
    ] {
        store
            .add_screen(
                &dklik_app::store::ScreenRecord {
                    id: id.into(),
                    vehicle: "demo-bus-1".into(),
                    label: label.into(),
                    line: Some("11".into()),
                    region: String::new(),
                },
                now,
            )
            .await?;
    }
    if let Some(e) = store.employers().await?.into_iter().next() {
        if let Some(site) = store.sites(e.employer.id).await?.into_iter().next() {
            store.set_fence(site.id, 400.0, now).await?;
        }
    }
    Ok(())
}

async fn demo_accounts(store: &dyn Store, listen: &str, db: &str) -> Result<DemoAccounts> {
    use dklik_domain::Role;
    let now = dklik_app::unix_now();
    let employer = store
        .employers()
        .await?
        .into_iter()
        .next()
        .map(|e| e.employer)
        .context("la démo n'a pas d'entreprise")?;
    let mut lines = Vec::new();
    for (email, name, role, emp) in [
        ("admin@dklik.demo", "Alex (admin)", Role::Admin, None),
        (
            "conseil@dklik.demo",
            "Camille (conseillère)",
            Role::Advisor,
            None,
        ),
        (
            "mobile@dklik.demo",
            "Yanis (équipe mobile)",
            Role::MobileTeam,
            None,
        ),
        (
            "rh@dklik.demo",
            "Nadia (RH)",
            Role::Employer,
            Some(employer.id),
        ),
    ] {
        dklik_app::auth::create_user(store, email, name, DEMO_PASSWORD, role, emp, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let extra = if role == Role::Employer {
            format!(" – {}", employer.name)
        } else {
            String::new()
        };
        lines.push(format!("{:<12} {email}{extra}", role.label_fr()));
    }
    // A person with a call-back request, who can open their space with the emailed code.
    let offer = store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 1,
            ..Default::default()
        })
        .await?
        .offers
        .into_iter()
        .next();
    let form = dklik_domain::interest::InterestForm {
        first_name: "Léa".into(),
        phone: "06 00 00 00 01".into(),
        email: "lea@dklik.demo".into(),
        best_time: "matin".into(),
        consent: true,
    };
    dklik_app::interests::submit_interest(
        store,
        &form,
        offer.map(|o| o.id),
        dklik_app::interests::Source {
            channel: dklik_domain::Channel::BusScreen,
            detail: "démo",
            impression: None,
        },
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    lines.push(format!(
        "Personne     lea@dklik.demo – sans mot de passe : /mon-espace envoie un code, lisible dans {}",
        mail_dir(db).display()
    ));
    let mut feed_token = String::new();
    for (name, role) in [
        ("Écran démo bus 1", Role::Screen),
        ("Flux démo positions", Role::Feed),
    ] {
        let (_, token) = dklik_app::auth::create_api_token(store, name, role, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        lines.push(format!("{:<12} jeton {token}", role.label_fr()));
        if role == Role::Feed {
            feed_token = token;
        }
    }
    Ok(DemoAccounts {
        base: format!("http://{listen}"),
        lines,
        feed_token,
    })
}

/// Six months of history for the dashboard (`/pilotage`): 160 fictional people who met the
/// programme through each channel, with displays, scans and poster visits, and how far each
/// went. Their steps say "(historique de démonstration)"; they are not real introductions.
async fn impact_demo(store: &dyn Store, feed: &dklik_transit::gtfs::Feed) -> Result<()> {
    use dklik_domain::impact::Stage;
    use dklik_domain::orientation::RegistrationStatus;
    let now = dklik_app::unix_now();
    let offers = store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 100,
            ..Default::default()
        })
        .await?
        .offers;
    let hoods = store.neighbourhoods().await?;
    if offers.is_empty() || hoods.is_empty() || feed.trips.is_empty() {
        return Ok(());
    }
    // A small fixed generator: the same demo every time.
    let seed = std::cell::Cell::new(0x2545_f491_4f6c_dd1d_u64);
    let next = |n: u64| {
        let mut x = seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        seed.set(x);
        x % n.max(1)
    };
    let stop_name = |trip: &str| {
        feed.stop_times
            .iter()
            .find(|s| s.trip_id == trip)
            .and_then(|s| feed.stops.iter().find(|x| x.id == s.stop_id))
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    const CHANNELS: [(&str, u64); 9] = [
        ("ecran", 30),
        ("affiche", 10),
        ("site", 13),
        ("sms", 5),
        ("lien", 5),
        ("questionnaire", 5),
        ("cafe_emploi", 12),
        ("equipe_mobile", 10),
        ("partenaire", 10),
    ];
    // Four OrientaKlik sessions of the past months, for the attendance and survey figures.
    let mut past_sessions = Vec::new();
    let services = store
        .services(&dklik_app::orientation_store::ServiceFilter::default())
        .await?;
    for (k, svc) in services.iter().take(4).enumerate() {
        let starts = now - (35 + 30 * k as i64) * 86_400;
        let id = store
            .create_orientation_session(
                svc.id,
                starts,
                starts + 3 * 3600,
                "Gare de Dunkerque",
                40,
                starts - 30 * 86_400,
            )
            .await?;
        past_sessions.push((id, starts));
    }
    let mut scanned = Vec::new();
    let mut impressions = Vec::new();
    let mut visits = 0u32;
    let (mut people, mut hires) = (0u32, 0u32);
    for i in 0..160u64 {
        let mut pick = next(100);
        let channel = CHANNELS
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(c, _)| *c)
            .unwrap_or("site");
        let t0 = now - 180 * 86_400 + (next(175 * 24) as i64) * 3600;
        let hood = &hoods[next(hoods.len() as u64) as usize];
        let stats = next(10) < 7;
        let form = dklik_domain::PersonForm {
            prenom: format!("Démo{i}"),
            telephone: format!("07 00 {:02} {:02} {:02}", i / 100, (i / 10) % 10, i % 100),
            quartier: hood.id.to_string(),
            tranche_age: if stats {
                dklik_domain::impact::AGE_BANDS[next(4) as usize].0.into()
            } else {
                String::new()
            },
            genre: if stats {
                dklik_domain::impact::GENDERS[next(2) as usize].0.into()
            } else {
                String::new()
            },
            accord_stats: if stats { "oui".into() } else { String::new() },
            ..Default::default()
        };
        let Ok(input) = form.validate(|_| Some(hood.qpv)) else {
            continue;
        };
        let person = store.create_person(&input, t0).await?;
        people += 1;
        let offer = &offers[next(offers.len() as u64) as usize];
        // Every other person has skills noted, as an advisor would have: two thirds of the
        // needs of the offer they came for, declared or observed (no draw from the generator,
        // so the rest of the history stays the same).
        if i % 2 == 0 {
            let skills: Vec<dklik_domain::SkillEvidence> = offer
                .items
                .iter()
                .enumerate()
                .filter(|(k, _)| !(i as usize + k).is_multiple_of(3))
                .map(|(k, r)| dklik_domain::SkillEvidence {
                    id: 0,
                    person_id: person,
                    item: r.code,
                    level: dklik_domain::Level::new(1 + ((i as usize + k) % 3) as u8)
                        .unwrap_or(dklik_domain::Level::DEFAULT),
                    evidence: if k % 2 == 0 {
                        dklik_domain::Evidence::Declared
                    } else {
                        dklik_domain::Evidence::Observed
                    },
                    source: "historique de démonstration".into(),
                    recorded_by: "démo".into(),
                    at: t0,
                })
                .collect();
            store.add_skill_evidence(&skills).await?;
        }
        let event = |at: i64, stage: Stage, channel: &str, offer: Option<dklik_domain::OfferId>| {
            dklik_domain::JourneyEvent {
                id: 0,
                person_id: person,
                at,
                kind: "historique".into(),
                channel: channel.into(),
                summary: format!("{} (historique de démonstration)", stage.label_fr()),
                reference: String::new(),
                actor: "démo".into(),
                stage: stage.as_str().into(),
                offer_id: offer,
                impression: None,
            }
        };
        let asks = matches!(
            channel,
            "ecran" | "affiche" | "site" | "lien" | "questionnaire"
        );
        if asks {
            let mut e = event(t0, Stage::Interest, channel, Some(offer.id));
            if channel == "ecran" {
                let trip = &feed.trips[next(feed.trips.len() as u64) as usize];
                let code = format!("DEMOH{i:04}");
                // The display that was scanned, and forty that were not.
                for k in 0..41 {
                    impressions.push(dklik_app::Impression {
                        code: if k == 0 {
                            code.clone()
                        } else {
                            format!("DEMOH{i:04}{k:02}")
                        },
                        vehicle: format!("bus-{}", 1 + next(12)),
                        trip_id: Some(trip.id.clone()),
                        stop_id: None,
                        stop_name: stop_name(&trip.id),
                        offer_id: Some(offer.id),
                        slide: "offer".into(),
                        shown_at: t0 - 600 - (k as i64) * 3 * 3600,
                        duration_s: 10,
                        scans: 0,
                        screen: None,
                        source: "dklik".into(),
                    });
                }
                scanned.push(code.clone());
                if next(3) == 0 {
                    scanned.push(format!("DEMOH{i:04}01"));
                }
                e.impression = Some(code);
            } else if channel == "affiche" || channel == "lien" {
                for _ in 0..2 + next(3) {
                    store
                        .add_link_visit(t0 - 60, channel, Some(offer.code.as_str()), "offre")
                        .await?;
                    visits += 1;
                }
            }
            store.add_journey_event(&e).await?;
        } else {
            store
                .add_journey_event(&event(t0, Stage::Contact, channel, None))
                .await?;
        }
        // How far each went, with the later steps only if they are already past.
        let mut at = t0;
        let mut step =
            |days: u64, stage: Stage, who: &str, offer: Option<dklik_domain::OfferId>| {
                at += 86_400 * (1 + next(days)) as i64;
                (at < now).then(|| event(at, stage, who, offer))
            };
        let mut path = Vec::new();
        if asks && next(10) < 7 {
            path.push(step(3, Stage::Contacted, "conseiller", Some(offer.id)));
        }
        let session = past_sessions[next(past_sessions.len().max(1) as u64) as usize];
        if next(10) < 3 && session.1 > t0 + 86_400 {
            let (reg, _) = store
                .register(session.0, person, "conseiller", session.1 - 86_400)
                .await?;
            path.push(Some(event(
                session.1 - 86_400,
                Stage::Orientation,
                "conseiller",
                None,
            )));
            let before = 1 + next(3) as u8;
            store
                .save_survey(reg, false, [before, before, 1 + next(3) as u8], session.1)
                .await?;
            let came = next(4) < 3;
            store
                .set_registration_status(
                    reg,
                    if came {
                        RegistrationStatus::Present
                    } else {
                        RegistrationStatus::Absent
                    },
                    session.1 + 3 * 3600,
                )
                .await?;
            if came {
                path.push(Some(event(
                    session.1,
                    Stage::OrientationPresent,
                    "conseiller",
                    None,
                )));
                let lift = next(3) as u8;
                store
                    .save_survey(
                        reg,
                        true,
                        [
                            (before + lift).min(5),
                            (before + 1).min(5),
                            2 + next(3) as u8,
                        ],
                        session.1 + 3 * 3600,
                    )
                    .await?;
                if next(2) == 0 && session.1 + 8 * 86_400 < now {
                    path.push(Some(event(
                        session.1 + 8 * 86_400,
                        Stage::Test,
                        "conseiller",
                        None,
                    )));
                }
            }
        }
        if (asks && path.len() == 1 && next(10) < 4) || (!asks && next(10) < 3) {
            path.push(step(14, Stage::Introduction, "conseiller", Some(offer.id)));
            if next(10) < 6 {
                path.push(step(7, Stage::Interview, "entreprise", Some(offer.id)));
                if next(10) < 5 {
                    path.push(step(10, Stage::Hire, "entreprise", Some(offer.id)));
                }
            }
        }
        for e in path.into_iter().flatten() {
            if e.stage == "hire" {
                hires += 1;
            }
            store.add_journey_event(&e).await?;
        }
    }
    store.record_impressions(&impressions).await?;
    for code in &scanned {
        store.record_scan(code, now).await?;
    }
    say!(
        "Historique de six mois pour le pilotage : {people} personnes, {} affichages, {visits} visites d'affiches et de liens, {hires} embauches.",
        impressions.len()
    );
    Ok(())
}
