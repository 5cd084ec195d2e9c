//! OrientaKlik: orientation services and their sessions, events (Cafés de l'emploi, the job
//! bus's stops, mobile-team rounds), and the contacts mobile teams make; their rules and the
//! iCalendar they are published in.

use crate::rome::RomeCode;
use crate::ValidationError;
use serde::{Deserialize, Serialize};

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal : $l:literal),* $(,)? } $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[doc = $l] $v),* }
        impl $name {
            /// Every value, in the order of the forms.
            pub const ALL: &'static [$name] = &[$(Self::$v),*];
            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            /// The value in words.
            pub fn label_fr(self) -> &'static str {
                match self { $(Self::$v => $l),* }
            }
            /// Reads a stored word; anything else is refused in French.
            pub fn parse(s: &str) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|x| x.as_str() == s.trim())
                    .ok_or_else(|| format!("« {s} » : {}", $what))
            }
        }
    };
}

word_enum!(
    /// What kind of orientation service.
    ServiceKind {
        EscapeGame = "escape_game": "Escape game",
        Vr = "realite_virtuelle": "Casque de réalité virtuelle",
        SeriousGame = "serious_game": "Jeu sérieux grand format",
        CompanyVisit = "visite_entreprise": "Visite d'entreprise",
        JobLabo = "job_labo": "Job Labo",
        Immersion = "immersion": "Une semaine d'immersion au chantier-école",
        Workshop = "atelier": "Atelier",
    } "choisissez un type de service de la liste."
);

word_enum!(
    /// Where a service takes place.
    PlaceKind {
        Address = "adresse": "À une adresse",
        JobBus = "bus_emploi": "À bord du bus de l'emploi",
        Partner = "partenaire": "Chez un partenaire",
    } "choisissez le type de lieu."
);

word_enum!(
    /// What kind of event.
    EventKind {
        CafeEmploi = "cafe_emploi": "Café de l'emploi",
        BusEmploi = "bus_emploi": "Bus de l'emploi",
        Tournee = "tournee": "Tournée de l'équipe mobile",
    } "ce type d'événement n'existe pas (cafe_emploi, bus_emploi ou tournee)."
);

word_enum!(
    /// Where a registration stands.
    RegistrationStatus {
        Registered = "registered": "inscrit",
        Waiting = "waiting": "sur liste d'attente",
        Cancelled = "cancelled": "annulé",
        Present = "present": "présent",
        Absent = "absent": "absent",
    } "état d'inscription inconnu."
);

word_enum!(
    /// What a person met by a mobile team needs.
    Need {
        Job = "emploi": "Un emploi",
        Training = "formation": "Une formation",
        Orientation = "orientation": "Découvrir des métiers",
        OtherHelp = "autre_aide": "Une autre aide (logement, santé, papiers…)",
    } "besoin inconnu."
);

word_enum!(
    /// What happens next after a contact.
    NextStep {
        CallBack = "rappel": "Un conseiller rappelle",
        Appointment = "rendez_vous": "Rendez-vous fixé",
        OrientaKlik = "orientaklik": "Inscription à une activité OrientaKlik",
        Partner = "partenaire": "Orienté vers un partenaire",
        Nothing = "aucune": "Rien pour l'instant",
    } "suite inconnue."
);

word_enum!(
    /// How the mobile team met the person.
    OutreachChannel {
        Street = "rue": "Dans la rue, au pied des immeubles",
        Stand = "stand": "Sur un stand",
        JobBus = "bus_emploi": "Au bus de l'emploi",
        DoorToDoor = "porte_a_porte": "Porte-à-porte",
        Partner = "partenaire": "Chez un partenaire (centre social, club…)",
    } "canal inconnu."
);

word_enum!(
    /// Where a contact was made.
    OutreachPlace {
        Neighbourhood = "neighbourhood": "Un quartier",
        Event = "event": "Un événement",
        Stop = "stop": "Un arrêt de bus",
        Other = "other": "Ailleurs",
    } "lieu inconnu."
);

/// An orientation service of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrientationService {
    /// The service's number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What kind of activity it is.
    pub kind: ServiceKind,
    /// Who it is for, in plain words.
    pub audience: String,
    /// What happens there.
    pub description: String,
    /// Length in minutes.
    pub duration_min: u32,
    /// Where it happens.
    pub place_kind: PlaceKind,
    /// The place in words.
    pub place: String,
    /// What to bring or wear.
    pub equipment: String,
    /// Places per session.
    pub capacity: u32,
    /// Who runs it.
    pub provider: String,
    /// The ROME job sheets it shows.
    pub trades: Vec<RomeCode>,
    /// A demo service.
    pub fictional: bool,
}

/// The number of an OrientaKlik session (one date of one service). Skill-test sessions have
/// numbers of their own and are not `SessionId`s.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SessionId(pub i64);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A session of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrientationSession {
    /// Its number.
    pub id: SessionId,
    /// The service.
    pub service_id: i64,
    /// The service's name.
    pub service_name: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// End, Unix seconds.
    pub ends_at: i64,
    /// Where.
    pub place: String,
    /// Places.
    pub capacity: u32,
    /// Cancelled by staff.
    pub cancelled: bool,
    /// People with a place.
    pub registered: u32,
    /// People on the waiting list.
    pub waiting: u32,
}

impl OrientationSession {
    /// Places not taken yet.
    pub fn places_left(&self) -> u32 {
        self.capacity.saturating_sub(self.registered)
    }
}

/// An event of the public calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Its number.
    pub id: i64,
    /// Its short code: `/e/CODE` and its poster's QR.
    pub code: String,
    /// What kind of event.
    pub kind: EventKind,
    /// Its title.
    pub title: String,
    /// What happens there.
    pub description: String,
    /// Start, Unix seconds.
    pub starts_at: i64,
    /// End, Unix seconds.
    pub ends_at: i64,
    /// Where, in words.
    pub place: String,
    /// Latitude of the place, if placed.
    pub lat: Option<f64>,
    /// Longitude of the place, if placed.
    pub lon: Option<f64>,
    /// Cancelled by staff.
    pub cancelled: bool,
    /// Employers attending (Cafés de l'emploi).
    pub employers: Vec<String>,
    /// Offers presented: (code, title).
    pub offers: Vec<(String, String)>,
    /// People registered.
    pub registrations: u32,
}

/// The three questions of the before/after survey, each answered 1 (not at all) to 5.
pub const SURVEY_QUESTIONS: [&str; 3] = [
    "Ce métier m'intéresse.",
    "Je me vois faire ce métier.",
    "Je sais comment y accéder.",
];

/// Reads three answers of 1 to 5.
pub fn parse_survey(a: &[String]) -> Result<[u8; 3], ValidationError> {
    let mut errs = ValidationError::default();
    let mut out = [0u8; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        match a.get(i).and_then(|v| v.trim().parse::<u8>().ok()) {
            Some(n @ 1..=5) => *slot = n,
            _ => errs.push(
                format!("q{}", i + 1),
                format!("Question {} : choisissez une réponse de 1 à 5.", i + 1),
            ),
        }
    }
    errs.into_result()?;
    Ok(out)
}

/// iCalendar (RFC 5545) text of events: CRLF line ends, lines folded at 75 octets, text escaped,
/// times in UTC. `name` is the calendar's name; `base_url` makes each event's URL.
pub fn to_icalendar(events: &[Event], name: &str, base_url: &str, now: i64) -> String {
    /// Every line break (CR LF, LF or a lone CR) becomes the text `\n`: no typed text can
    /// start a line of its own in the feed. Other control characters are dropped.
    fn esc(s: &str) -> String {
        s.replace('\\', "\\\\")
            .replace(';', "\\;")
            .replace(',', "\\,")
            .replace("\r\n", "\\n")
            .replace(['\r', '\n'], "\\n")
            .chars()
            .filter(|c| !c.is_control())
            .collect()
    }
    fn stamp(t: i64) -> String {
        let d = time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }
    fn fold(line: &str, out: &mut String) {
        let mut count = 0;
        for c in line.chars() {
            if count + c.len_utf8() > 75 {
                out.push_str("\r\n ");
                count = 1;
            }
            out.push(c);
            count += c.len_utf8();
        }
        out.push_str("\r\n");
    }
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//DKLIK//Agenda//FR".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", esc(name)),
    ] {
        fold(&l, &mut out);
    }
    for e in events {
        let mut desc = e.description.clone();
        if !e.employers.is_empty() {
            desc.push_str(&format!(
                "\nEntreprises présentes : {}",
                e.employers.join(", ")
            ));
        }
        let mut lines = vec![
            "BEGIN:VEVENT".to_string(),
            format!("UID:dklik-evenement-{}@dklik", e.code),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART:{}", stamp(e.starts_at)),
            format!("DTEND:{}", stamp(e.ends_at)),
            format!("SUMMARY:{}", esc(&e.title)),
            format!("DESCRIPTION:{}", esc(&desc)),
            format!("LOCATION:{}", esc(&e.place)),
            format!("URL:{base_url}/e/{}", e.code),
            format!("CATEGORIES:{}", esc(e.kind.label_fr())),
            format!(
                "STATUS:{}",
                if e.cancelled {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                }
            ),
        ];
        if let (Some(lat), Some(lon)) = (e.lat, e.lon) {
            lines.push(format!("GEO:{lat:.5};{lon:.5}"));
        }
        lines.push("END:VEVENT".into());
        for l in lines {
            fold(&l, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for k in ServiceKind::ALL {
            assert_eq!(ServiceKind::parse(k.as_str()), Ok(*k));
        }
        assert_eq!(EventKind::parse("cafe_emploi"), Ok(EventKind::CafeEmploi));
        assert!(EventKind::parse("concert")
            .unwrap_err()
            .contains("n'existe pas"));
    }

    #[test]
    fn survey_answers_are_one_to_five() {
        assert_eq!(
            parse_survey(&["1".into(), "5".into(), "3".into()]),
            Ok([1, 5, 3])
        );
        let e = parse_survey(&["0".into(), "x".into()]).unwrap_err();
        assert_eq!(e.errors.len(), 3);
    }

    #[test]
    fn icalendar_lines_are_folded_escaped_and_crlf() {
        let e = Event {
            id: 1,
            code: "K7M3QH".into(),
            kind: EventKind::CafeEmploi,
            title: "Café de l'emploi, spécial industrie; venez nombreux".into(),
            description: "Une très longue description ".repeat(10),
            starts_at: 1_800_000_000,
            ends_at: 1_800_007_200,
            place: "Maison de l'emploi, Grande-Synthe".into(),
            lat: Some(51.01),
            lon: Some(2.3),
            cancelled: false,
            employers: vec!["Acier Nord".into()],
            offers: vec![],
            registrations: 0,
        };
        let ics = to_icalendar(&[e], "Cafés", "https://dklik.example", 1_799_000_000);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75), "folded");
        assert!(!ics.replace("\r\n", "").contains('\n'), "only CRLF");
        assert!(ics.contains("SUMMARY:Café de l'emploi\\, spécial industrie\\; venez nombreux"));
        assert!(ics.contains("DTSTART:20270115T080000Z"));
    }

    #[test]
    fn no_typed_text_starts_a_line_of_its_own_in_icalendar() {
        let e = Event {
            id: 1,
            code: "K7M3QH".into(),
            kind: EventKind::CafeEmploi,
            title: "Café\rATTENDEE:mailto:x@evil.test".into(),
            description: "a\r\nb\nc\rBEGIN:VALARM".into(),
            starts_at: 1_800_000_000,
            ends_at: 1_800_007_200,
            place: "Salle\u{b}\rURL:https://evil.test".into(),
            lat: None,
            lon: None,
            cancelled: false,
            employers: vec!["X\rORGANIZER:y".into()],
            offers: vec![],
            registrations: 0,
        };
        let ics = to_icalendar(&[e], "Cafés\r", "https://dklik.example", 1_799_000_000);
        let unfolded = ics.replace("\r\n ", "");
        for l in unfolded.split("\r\n") {
            assert!(!l.contains('\r') && !l.contains('\n'), "{l:?}");
            for bad in ["ATTENDEE", "BEGIN:VALARM", "URL:https://evil", "ORGANIZER"] {
                assert!(!l.starts_with(bad), "{l:?}");
            }
        }
        assert!(unfolded.contains("SUMMARY:Café\\nATTENDEE:mailto:x@evil.test"));
    }
}
