#![warn(missing_docs)]
//! DKLIK use cases, written once over the [`Store`] contract.
//!
//! The web server and the command line both call these functions; neither talks to a database
//! directly. A use case checks its input (through the domain constructors), reads what it needs
//! from the store, and writes in one transaction, so nothing is ever half-written.

pub mod account_store;
pub mod auth;
pub mod callbacks;
pub mod directory;
pub mod employer_store;
pub mod employers;
pub mod france_travail;
pub mod geocode;
pub mod impact;
pub mod impact_store;
pub mod inbox;
pub mod interests;
pub mod introduction_store;
pub mod introductions;
pub mod invitations;
pub mod jobs;
pub mod journeys;
pub mod mail;
pub mod matching;
pub mod offer_checks;
pub mod offers;
pub mod orientation;
pub mod orientation_store;
pub mod people_store;
pub mod privacy;
pub mod questionnaire;
pub mod rome;
pub mod screen_health;
pub mod screen_settings;
pub mod screen_store;
pub mod screens;
pub mod search;
pub mod skills;
pub mod skills_store;
pub mod sms;
pub mod sms_inbound;
pub mod sms_news;
pub mod sms_store;
pub mod store;
pub mod takeovers;
pub mod words;

pub use account_store::AccountStore;
pub use employer_store::EmployerStore;
pub use impact_store::ImpactStore;
pub use introduction_store::IntroductionStore;
pub use orientation_store::OrientationStore;
pub use people_store::PeopleStore;
pub use screen_store::ScreenStore;
pub use skills_store::SkillsStore;
pub use sms_store::SmsStore;
pub use store::{
    ApiToken, DisplayReportRow, EmployerSummary, Facets, Impression, InboxFilter, InboxRow,
    Notifications, OfferPage, OfferToSave, OutboxMessage, SaveOutcome, SessionRecord, Store,
    StoreError,
};

/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Today's date in Europe/Paris. Close enough with a fixed offset for dates shown to people;
/// the exact rule (last Sundays of March and October) is applied.
pub fn today_paris() -> time::Date {
    now_paris().date()
}

/// The instant of a day and minute of the day in Europe/Paris, as Unix seconds.
pub fn paris_instant(day: time::Date, minute: u16) -> i64 {
    let naive = day
        .with_hms(0, 0, 0)
        .map(|t| t.assume_utc().unix_timestamp())
        .unwrap_or(0)
        + i64::from(minute) * 60;
    // The offset in force at that moment (checked at noon UTC of the day: the change is at 01:00).
    let noon = time::OffsetDateTime::from_unix_timestamp(naive - i64::from(minute) * 60 + 43_200)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let offset = if is_summer_time(noon) { 2 } else { 1 };
    naive - offset * 3600
}

/// Called after a large reading (all the offers), when its memory has been freed: the place to
/// give it back to the system. Nothing is needed since offers are read by pages.
pub fn release_memory() {}

/// An instant as "30/11 9h05", Paris time (e-mails and staff tables).
pub fn short_time_fr(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|x| x.to_offset(now_paris().offset()))
        .map(|x| {
            format!(
                "{:02}/{:02} {}h{:02}",
                x.day(),
                u8::from(x.month()),
                x.hour(),
                x.minute()
            )
        })
        .unwrap_or_default()
}

/// The months' names in French, January first.
pub const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Now in Europe/Paris (UTC+1, UTC+2 in summer time).
pub fn now_paris() -> time::OffsetDateTime {
    let utc = time::OffsetDateTime::now_utc();
    let offset = if is_summer_time(utc) { 2 } else { 1 };
    utc.to_offset(time::UtcOffset::from_hms(offset, 0, 0).unwrap_or(time::UtcOffset::UTC))
}

/// EU summer time: from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
fn is_summer_time(utc: time::OffsetDateTime) -> bool {
    dklik_domain::calendar::is_paris_summer_time(utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn summer_time_rule() {
        assert!(!is_summer_time(datetime!(2026-03-29 00:59 UTC)));
        assert!(is_summer_time(datetime!(2026-03-29 01:00 UTC)));
        assert!(is_summer_time(datetime!(2026-10-25 00:59 UTC)));
        assert!(!is_summer_time(datetime!(2026-10-25 01:00 UTC)));
        assert!(!is_summer_time(datetime!(2026-11-29 12:00 UTC)));
    }
}
