//! Fuzz target: the public forms, as a browser posts them (`application/x-www-form-urlencoded`)
//! and as the server reads them: the call-back request, the registration to an orientation
//! session or an event, the questionnaire's answers, an offer's code, a phone number. Any
//! input gives a checked value or French errors by field, never a panic.
#![no_main]

use dklik_domain::{Channel, InterestForm, NewInterest};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // The call-back request (/offres/{code}/interet).
    let form = InterestForm {
        first_name: get("prenom"),
        phone: get("telephone"),
        email: get("email"),
        best_time: get("moment"),
        consent: get("consentement") == "oui",
    };
    let channel = Channel::parse_lenient(&get("src"));
    match NewInterest::from_form(&form, None, channel, &get("imp")) {
        Ok(i) => assert!(!i.first_name.trim().is_empty()),
        Err(e) => assert!(!e.errors.is_empty()),
    }
    // A registration to an orientation session or an event.
    let contact = dklik_app::orientation::ContactForm {
        prenom: get("prenom"),
        telephone: get("telephone"),
        email: get("email"),
        consentement: get("consentement"),
    };
    let _ = dklik_app::orientation::check_contact(&contact);
    // The questionnaire's answers carried from page to page.
    let _ = dklik_app::questionnaire::parse_answers(&get("reponses"));
    // An offer's code typed or scanned, a phone number to receive a code by text.
    let _ = dklik_domain::offer::ShortCode::parse(&get("code"));
    let _ = dklik_domain::interest::normalize_phone(&get("telephone"));
});
