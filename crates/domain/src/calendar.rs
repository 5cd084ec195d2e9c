//! Working days in France: weekends and public holidays are not working days.

use time::{Date, Duration, Month, Weekday};

/// Reads a day written "2026-12-01" (as date fields send it) or "01/12/2026".
pub fn parse_day(s: &str) -> Result<Date, String> {
    let t = s.trim();
    let bad =
        || format!("« {s} » n'est pas une date : écrivez AAAA-MM-JJ, par exemple 2027-03-31.");
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let fr = time::macros::format_description!("[day]/[month]/[year]");
    Date::parse(t, iso)
        .or_else(|_| Date::parse(t, fr))
        .map_err(|_| bad())
}

/// Easter Sunday (Gregorian calendar, anonymous algorithm).
pub fn easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()
}

/// The 11 French public holidays (metropolitan France).
pub fn is_public_holiday(d: Date) -> bool {
    let fixed = [
        (Month::January, 1),
        (Month::May, 1),
        (Month::May, 8),
        (Month::July, 14),
        (Month::August, 15),
        (Month::November, 1),
        (Month::November, 11),
        (Month::December, 25),
    ];
    if fixed
        .iter()
        .any(|&(m, day)| d.month() == m && d.day() == day)
    {
        return true;
    }
    match easter(d.year()) {
        Some(e) => [1, 39, 50].iter().any(|&n| d == e + Duration::days(n)),
        None => false,
    }
}

/// Monday to Friday and not a French public holiday.
pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(d)
}

/// The date `n` working days after `d` (a request made on Friday with n = 2 is due Tuesday).
pub fn add_working_days(d: Date, n: u32) -> Date {
    let mut day = d;
    let mut left = n;
    while left > 0 {
        day += Duration::days(1);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Whether summer time (UTC+2) is in force in Europe/Paris at this instant: from 01:00 UTC
/// on the last Sunday of March to 01:00 UTC on the last Sunday of October.
pub fn is_paris_summer_time(utc: time::OffsetDateTime) -> bool {
    fn last_sunday(year: i32, month: time::Month) -> time::Date {
        let next = if month == time::Month::December {
            time::Date::from_calendar_date(year + 1, time::Month::January, 1)
        } else {
            time::Date::from_calendar_date(year, month.next(), 1)
        };
        let mut d = next
            .map(|d| d - time::Duration::days(1))
            .unwrap_or(time::Date::MIN);
        while d.weekday() != time::Weekday::Sunday {
            d -= time::Duration::days(1);
        }
        d
    }
    let y = utc.year();
    let start = last_sunday(y, time::Month::March).with_hms(1, 0, 0);
    let end = last_sunday(y, time::Month::October).with_hms(1, 0, 0);
    match (start, end) {
        (Ok(s), Ok(e)) => {
            let t = time::PrimitiveDateTime::new(utc.date(), utc.time());
            t >= s && t < e
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_in_both_spellings() {
        let d = Date::from_calendar_date(2026, Month::December, 1).unwrap();
        assert_eq!(super::parse_day("2026-12-01"), Ok(d));
        assert_eq!(super::parse_day(" 01/12/2026 "), Ok(d));
        assert!(super::parse_day("2026-13-01").is_err());
        assert!(super::parse_day("demain")
            .unwrap_err()
            .contains("AAAA-MM-JJ"));
    }

    use super::*;
    use time::macros::date;

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(easter(2027), Some(date!(2027 - 03 - 28)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday 2026-11-27 + 2 → Tuesday 2026-12-01.
        assert_eq!(
            add_working_days(date!(2026 - 11 - 27), 2),
            date!(2026 - 12 - 01)
        );
        // Tuesday 2026-11-10 + 1 skips Armistice day (Wednesday 11th).
        assert_eq!(
            add_working_days(date!(2026 - 11 - 10), 1),
            date!(2026 - 11 - 12)
        );
        // Easter Monday 2026-04-06 is a holiday.
        assert!(!is_working_day(date!(2026 - 04 - 06)));
        assert_eq!(
            add_working_days(date!(2026 - 04 - 03), 1),
            date!(2026 - 04 - 07)
        );
    }
}
