//! What pages show of an offer, in plain French, and its schema.org JobPosting.

use dklik_domain::{Importance, ItemKind, Offer};

/// An offer as a list card.
pub struct OfferCard {
    pub code: String,
    pub title: String,
    pub employer: String,
    pub commune: String,
    pub contract: String,
    pub no_diploma: bool,
    pub shifts: Vec<String>,
}

impl From<&Offer> for OfferCard {
    fn from(o: &Offer) -> Self {
        Self {
            code: o.code.to_string(),
            title: o.title.clone(),
            employer: o.employer_name.clone(),
            commune: o.site.commune.clone(),
            contract: o.contract.label_fr().into(),
            no_diploma: o.no_diploma,
            shifts: o
                .shifts
                .iter()
                .map(|s| capitalise(&s.describe_fr()))
                .collect(),
        }
    }
}

/// An offer as its own page.
pub struct OfferView {
    pub code: String,
    pub title: String,
    pub employer: String,
    pub fictional: bool,
    pub contract: String,
    pub hours: Option<String>,
    pub positions: String,
    pub no_diploma: bool,
    /// The trade in one sentence.
    pub job: String,
    pub description: String,
    pub shifts: Vec<String>,
    /// (skill, level in words)
    pub must: Vec<(String, String)>,
    pub nice: Vec<(String, String)>,
    pub attitudes: Vec<String>,
    pub place: String,
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn hours_fr(h: f32) -> String {
    let whole = h.trunc() as u32;
    let minutes = ((h - h.trunc()) * 60.0).round() as u32;
    if minutes == 0 {
        format!("{whole} heures par semaine")
    } else {
        format!("{whole} h {minutes:02} par semaine")
    }
}

impl From<&Offer> for OfferView {
    fn from(o: &Offer) -> Self {
        let skill = |kind: ItemKind, imp: Importance| {
            o.items
                .iter()
                .filter(|i| i.kind == kind && i.importance == imp)
                .map(|i| (i.label.clone(), i.level.label_fr().to_string()))
                .collect::<Vec<_>>()
        };
        let mut must = skill(ItemKind::SavoirFaire, Importance::Must);
        must.extend(skill(ItemKind::Savoir, Importance::Must));
        let mut nice = skill(ItemKind::SavoirFaire, Importance::Nice);
        nice.extend(skill(ItemKind::Savoir, Importance::Nice));
        let attitudes = o
            .items_of(ItemKind::SavoirEtre)
            .map(|i| i.label.clone())
            .collect();
        let job = if o.rome_label.is_empty() {
            format!("Métier : {}.", o.title)
        } else {
            format!("Le métier : {} (code ROME {}).", o.rome_label, o.rome)
        };
        let mut place = String::new();
        if !o.site.name.is_empty() {
            place.push_str(&o.site.name);
            place.push_str(", ");
        }
        if !o.site.address.is_empty() {
            place.push_str(&o.site.address);
            place.push_str(", ");
        }
        place.push_str(&o.site.commune);
        Self {
            code: o.code.to_string(),
            title: o.title.clone(),
            employer: o.employer_name.clone(),
            fictional: o.employer_fictional,
            contract: o.contract.label_fr().into(),
            hours: o.weekly_hours.map(hours_fr),
            positions: if o.positions > 1 {
                format!("{} postes", o.positions)
            } else {
                "1 poste".into()
            },
            no_diploma: o.no_diploma,
            job,
            description: o.description.clone(),
            shifts: o
                .shifts
                .iter()
                .map(|s| capitalise(&s.describe_fr()))
                .collect(),
            must,
            nice,
            attitudes,
            place,
        }
    }
}

/// schema.org JobPosting, as JSON-LD safe to put inside a `<script>` element.
pub fn job_posting_json_ld(o: &Offer, base_url: &str) -> String {
    let date = |d: time::Date| {
        d.format(time::macros::format_description!("[year]-[month]-[day]"))
            .unwrap_or_default()
    };
    let skills: Vec<&str> = o
        .items
        .iter()
        .filter(|i| i.kind != ItemKind::SavoirEtre)
        .map(|i| i.label.as_str())
        .collect();
    let qualities: Vec<&str> = o
        .items_of(ItemKind::SavoirEtre)
        .map(|i| i.label.as_str())
        .collect();
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": o.title,
        "description": if o.description.is_empty() { o.title.clone() } else { o.description.clone() },
        "identifier": { "@type": "PropertyValue", "name": "DKLIK", "value": o.code.as_str() },
        "url": format!("{base_url}/offres/{}", o.code),
        "datePosted": date(o.published_on.unwrap_or(o.created_on)),
        "employmentType": o.contract.schema_org(),
        "hiringOrganization": { "@type": "Organization", "name": o.employer_name },
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": o.site.address,
                "addressLocality": o.site.commune,
                "addressCountry": "FR"
            },
            "geo": {
                "@type": "GeoCoordinates",
                "latitude": o.site.coordinates.lat(),
                "longitude": o.site.coordinates.lon()
            }
        },
        "occupationalCategory": format!("{} {}", o.rome, o.rome_label),
        "totalJobOpenings": o.positions,
        "skills": skills.join(", "),
        "qualifications": qualities.join(", "),
        "workHours": o.shifts.iter().map(|s| s.describe_fr()).collect::<Vec<_>>().join(" ; "),
    });
    if o.no_diploma {
        v["educationRequirements"] = serde_json::json!("no requirements");
    }
    if let Some(e) = o.expires_on {
        v["validThrough"] = serde_json::json!(date(e));
    }
    // "</script>" inside a string must not close the element.
    v.to_string().replace('<', "\\u003c")
}
