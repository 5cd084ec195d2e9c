//! Text messages: how a text is encoded and split (GSM 03.38 7-bit or UCS-2), who may be named
//! as the sender, when an information message may go out under the French rules, and what a
//! person's reply says (an offer code, OUI, STOP).

use time::{OffsetDateTime, Weekday};

/// How a message's characters are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 03.38 alphabet, 7 bits a character (160 a message, 153 a part).
    Gsm7,
    /// UTF-16, for any other character (70 a message, 67 a part).
    Ucs2,
}

impl Encoding {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "gsm7",
            Self::Ucs2 => "ucs2",
        }
    }
}

/// The GSM 03.38 basic alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Its extension table (an escape and the character: two septets each).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How a text is sent: its encoding, the number of messages it takes, and its length in the
/// encoding's units (septets or UTF-16 code units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    /// GSM-7 when every character is in the GSM alphabet, else UCS-2.
    pub encoding: Encoding,
    /// Messages billed (a long text is split, each part carrying a header).
    pub parts: u32,
    /// Length in the encoding's units.
    pub units: u32,
}

/// The encoding and the parts of `text`.
pub fn segments(text: &str) -> Segments {
    let mut septets = 0u32;
    let mut gsm = true;
    for c in text.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENDED.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    let (encoding, units, single, part) = if gsm {
        (Encoding::Gsm7, septets, 160, 153)
    } else {
        (Encoding::Ucs2, text.encode_utf16().count() as u32, 70, 67)
    };
    let parts = if units <= single {
        1
    } else {
        units.div_ceil(part)
    };
    Segments {
        encoding,
        parts,
        units,
    }
}

/// Checks a sender name as French operators accept it: 3 to 11 letters, digits or spaces, with
/// at least one letter (an all-digit sender would look like a number one can call back).
pub fn sender_name(s: &str) -> Result<String, String> {
    let t = s.trim();
    let n = t.chars().count();
    if !(3..=11).contains(&n) {
        return Err(format!(
            "Le nom d'expéditeur « {t} » doit compter de 3 à 11 caractères."
        ));
    }
    if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') {
        return Err(format!(
            "Le nom d'expéditeur « {t} » ne peut contenir que des lettres sans accent, des chiffres et des espaces."
        ));
    }
    if !t.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "Le nom d'expéditeur « {t} » doit contenir au moins une lettre."
        ));
    }
    Ok(t.to_string())
}

/// A French mobile number ("06 12 34 56 78", "+33 6…") in international form without the plus
/// ("33612345678"), or `None` for anything else (a landline cannot receive a text).
pub fn international(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = if phone.trim_start().starts_with('+') {
        format!("0{}", digits.strip_prefix("33")?)
    } else if let Some(rest) = digits.strip_prefix("0033") {
        format!("0{rest}")
    } else if digits.len() == 11 && digits.starts_with("33") {
        // As the providers write it: international, without the plus.
        format!("0{}", &digits[2..])
    } else {
        digits
    };
    let ok = national.len() == 10 && (national.starts_with("06") || national.starts_with("07"));
    ok.then(|| format!("33{}", &national[1..]))
}

/// A mobile's international form ("33612345678") as records keep it ("06 12 34 56 78").
pub fn national(intl: &str) -> Option<String> {
    let rest = intl
        .strip_prefix("33")
        .filter(|r| r.len() == 9 && r.bytes().all(|b| b.is_ascii_digit()))?;
    let n = format!("0{rest}");
    Some(
        n.as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The programme's number as shown to people ("Envoyez HW4UZH au 06 39 98 00 12"): a French
/// mobile, written in pairs, or a 5-digit short number ("36 111"); anything else is refused in
/// French.
pub fn display_number(s: &str) -> Result<String, String> {
    let t = s.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let only_digits = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '+'));
    if only_digits && digits.len() == 5 && !t.contains('+') && digits.as_bytes()[0] != b'0' {
        return Ok(format!("{} {}", &digits[..2], &digits[2..]));
    }
    match international(t).and_then(|i| national(&i)) {
        Some(n) if only_digits => Ok(n),
        _ => Err(format!(
            "« {} » n'est pas un numéro qui reçoit des SMS : un portable (06 ou 07, 10 chiffres) ou un numéro court de 5 chiffres.",
            t.chars().take(30).collect::<String>()
        )),
    }
}

/// What a message is for, which says when it may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An answer to something the person did or asked: a code, a reminder of a session they
    /// booked, the answer to their call-back request. Sent at any time.
    Transactional,
    /// News they agreed to receive (new offers near them): never 20:00–08:00, on a Sunday or a
    /// public holiday; always with the way to stop.
    Information,
}

impl Purpose {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transactional => "transactional",
            Self::Information => "information",
        }
    }

    /// The stored word read back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "transactional" => Some(Self::Transactional),
            "information" => Some(Self::Information),
            _ => None,
        }
    }
}

/// The words an information message ends with.
pub const STOP_MENTION: &str = "STOP : répondez STOP";

/// The text as sent: an information message carries [`STOP_MENTION`] (added when missing).
pub fn with_stop(purpose: Purpose, text: &str) -> String {
    match purpose {
        Purpose::Information if !text.contains("STOP") => format!("{text}\n{STOP_MENTION}"),
        _ => text.to_string(),
    }
}

/// Whether a message for `purpose` may go out at `paris` (local time of Paris); when not, the
/// first moment it may (08:00 of the next working day that is not a Sunday nor a holiday).
pub fn allowed_from(purpose: Purpose, paris: OffsetDateTime) -> Result<(), OffsetDateTime> {
    if purpose == Purpose::Transactional {
        return Ok(());
    }
    let open =
        |d: time::Date| d.weekday() != Weekday::Sunday && !crate::calendar::is_public_holiday(d);
    let hour = paris.hour();
    if (8..20).contains(&hour) && open(paris.date()) {
        return Ok(());
    }
    let mut day = if hour < 8 {
        paris.date()
    } else {
        paris.date().next_day().unwrap_or(paris.date())
    };
    while !open(day) {
        day = day.next_day().unwrap_or(day);
    }
    Err(day
        .with_hms(8, 0, 0)
        .map(|t| t.assume_offset(paris.offset()))
        .unwrap_or(paris))
}

/// What a person's text says, read leniently (case, spaces, accents, punctuation, emoji).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Stop every message ("STOP", "stop", "Stop svp").
    Stop,
    /// Agreement ("OUI", "oui !", "Oui 👍").
    Yes,
    /// One offer code of 6 letters and digits, upper case ("hw4 uzh" → "HW4UZH").
    Code(String),
    /// Several offer codes: asked which one.
    Codes(Vec<String>),
    /// Anything else, for an advisor to read.
    Other,
}

/// The words of a received text, folded to upper case without accents, cut at anything that is
/// not a letter or a digit ("hw4uzh." → "HW4UZH", "Oui 👍" → "OUI").
fn reply_words(text: &str) -> Vec<String> {
    crate::text::fold(text)
        .to_uppercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words of a text that could be offer codes, to look up before [`read_reply`]: each word
/// written in the codes' alphabet, and the whole text's letters and digits when they make 6
/// ("HW4 UZH"); 5 at most.
pub fn code_candidates(text: &str) -> Vec<String> {
    let words = reply_words(text);
    let mut out: Vec<String> = Vec::new();
    let joined = words.concat();
    for w in words.iter().chain(std::iter::once(&joined)) {
        if out.len() < 5 && crate::ShortCode::parse(w).is_ok() && !out.contains(w) {
            out.push(w.clone());
        }
    }
    out
}

/// Whether a word looks like an offer code someone meant to send (the codes' alphabet, with a
/// digit: "HW4UZH", not "MERCI"); used to answer "unknown code" rather than "message received".
pub fn looks_like_code(word: &str) -> bool {
    crate::ShortCode::parse(word).is_ok() && word.bytes().any(|b| b.is_ascii_digit())
}

/// Reads a received text. `is_code` says whether a 6-character word is a known offer code (a
/// text "MERCI!" is not a code; "HW4UZH" is when an offer has it).
pub fn read_reply(text: &str, is_code: impl Fn(&str) -> bool) -> Reply {
    let words = reply_words(text);
    let first = words.first().map(String::as_str);
    if first == Some("STOP") || (words.len() <= 3 && words.iter().any(|w| w == "STOP")) {
        return Reply::Stop;
    }
    if first == Some("OUI") && words.len() <= 3 {
        return Reply::Yes;
    }
    let mut codes: Vec<String> = Vec::new();
    for w in &words {
        if w.len() == 6 && is_code(w) && !codes.contains(w) {
            codes.push(w.clone());
        }
    }
    // A code typed with spaces ("HW4 UZH", "hw 4u zh"): the letters and digits of the text.
    let joined: String = words.concat();
    if codes.is_empty() && joined.len() == 6 && is_code(&joined) {
        codes.push(joined);
    }
    match codes.len() {
        0 => Reply::Other,
        1 => Reply::Code(codes.remove(0)),
        _ => Reply::Codes(codes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_text_is_split_by_its_alphabet() {
        let s = segments("Bonjour Inès, rendez-vous demain à 9 h.");
        assert_eq!(
            (s.encoding, s.parts),
            (Encoding::Gsm7, 1),
            "è and à are GSM"
        );
        assert_eq!(segments(&"a".repeat(160)).parts, 1);
        assert_eq!(segments(&"a".repeat(161)).parts, 2);
        assert_eq!(segments(&"a".repeat(306)).parts, 2);
        assert_eq!(segments(&"a".repeat(307)).parts, 3);
        // The euro sign takes two septets.
        assert_eq!(segments(&"€".repeat(80)).units, 160);
        assert_eq!(segments(&"€".repeat(81)).parts, 2);
        // ê, ç in lower case and emoji are not GSM: UCS-2, 70 a message.
        for t in ["Prêt ?", "garçon", "Merci 👍"] {
            assert_eq!(segments(t).encoding, Encoding::Ucs2, "{t}");
        }
        assert_eq!(segments(&"ê".repeat(70)).parts, 1);
        assert_eq!(segments(&"ê".repeat(71)).parts, 2);
        assert_eq!(segments(&"ê".repeat(135)).parts, 3);
        // An emoji is two UTF-16 units.
        assert_eq!(segments("👍").units, 2);
    }

    #[test]
    fn sender_names_follow_the_operators_rules() {
        assert_eq!(sender_name(" DKLIK ").as_deref(), Ok("DKLIK"));
        assert!(sender_name("Dunkerque Emploi").is_err(), "16 characters");
        assert!(sender_name("AB").is_err());
        assert!(sender_name("Équipe").is_err(), "accent");
        assert!(sender_name("0612345678").is_err(), "digits only");
    }

    #[test]
    fn only_french_mobiles_are_numbers_to_text() {
        assert_eq!(
            international("06 12 34 56 78").as_deref(),
            Some("33612345678")
        );
        assert_eq!(
            international("+33 7 12 34 56 78").as_deref(),
            Some("33712345678")
        );
        assert_eq!(
            international("0033612345678").as_deref(),
            Some("33612345678")
        );
        assert_eq!(international("03 28 00 00 00"), None, "a landline");
        assert_eq!(international("+44 7700 900123"), None);
        assert_eq!(international(""), None);
    }

    #[test]
    fn the_programme_number_is_a_mobile_or_a_short_number() {
        assert_eq!(
            display_number("0639980012").as_deref(),
            Ok("06 39 98 00 12")
        );
        assert_eq!(
            display_number("+33 6 39 98 00 12").as_deref(),
            Ok("06 39 98 00 12")
        );
        assert_eq!(display_number("36111").as_deref(), Ok("36 111"));
        assert_eq!(national("33612345678").as_deref(), Some("06 12 34 56 78"));
        assert_eq!(national("3361234567"), None);
        for bad in [
            "03 28 00 00 00",
            "0800123456",
            "06 39 98",
            "bonjour",
            "",
            "06-39-98-00-12<",
        ] {
            assert!(display_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn information_waits_for_the_allowed_hours() {
        let at = |t: OffsetDateTime| allowed_from(Purpose::Information, t);
        // Monday 30 November 2026, 10:00: now.
        assert_eq!(at(datetime!(2026-11-30 10:00 +1)), Ok(()));
        // 20:30: tomorrow 08:00.
        assert_eq!(
            at(datetime!(2026-11-30 20:30 +1)),
            Err(datetime!(2026-12-01 08:00 +1))
        );
        // 06:00: today 08:00.
        assert_eq!(
            at(datetime!(2026-11-30 06:00 +1)),
            Err(datetime!(2026-11-30 08:00 +1))
        );
        // Saturday evening: Monday (Sunday is closed).
        assert_eq!(
            at(datetime!(2026-12-05 21:00 +1)),
            Err(datetime!(2026-12-07 08:00 +1))
        );
        // Christmas Eve evening: the 26th (the 25th is a holiday).
        assert_eq!(
            at(datetime!(2026-12-24 20:00 +1)),
            Err(datetime!(2026-12-26 08:00 +1))
        );
        // A transactional message goes at any time.
        assert_eq!(
            allowed_from(Purpose::Transactional, datetime!(2026-12-25 03:00 +1)),
            Ok(())
        );
        assert!(with_stop(Purpose::Information, "Nouvelle offre").ends_with(STOP_MENTION));
        assert_eq!(
            with_stop(Purpose::Transactional, "Code 123456"),
            "Code 123456"
        );
    }

    #[test]
    fn replies_are_read_leniently() {
        let known = |c: &str| ["HW4UZH", "K7X2PQ"].contains(&c);
        assert_eq!(read_reply("stop", known), Reply::Stop);
        assert_eq!(read_reply("Stop svp", known), Reply::Stop);
        assert_eq!(read_reply("Oui !", known), Reply::Yes);
        assert_eq!(read_reply("oui 👍", known), Reply::Yes);
        assert_eq!(read_reply("hw4uzh", known), Reply::Code("HW4UZH".into()));
        assert_eq!(read_reply(" HW4 UZH ", known), Reply::Code("HW4UZH".into()));
        assert_eq!(
            read_reply("Bonjour HW4UZH 🚌 merci", known),
            Reply::Code("HW4UZH".into())
        );
        assert_eq!(
            read_reply("HW4UZH et K7X2PQ", known),
            Reply::Codes(vec!["HW4UZH".into(), "K7X2PQ".into()])
        );
        assert_eq!(
            read_reply("ABCDEF", known),
            Reply::Other,
            "not a known code"
        );
        assert_eq!(read_reply("Je voudrais du travail", known), Reply::Other);
        assert_eq!(read_reply("", known), Reply::Other);
        assert_eq!(read_reply("HW4UZH.", known), Reply::Code("HW4UZH".into()));
        assert_eq!(read_reply("hw4-uzh", known), Reply::Code("HW4UZH".into()));
        assert_eq!(read_reply("STOP!", known), Reply::Stop);
    }

    #[test]
    fn code_candidates_are_the_words_in_the_codes_alphabet() {
        assert_eq!(code_candidates("hw4uzh"), vec!["HW4UZH"]);
        assert_eq!(code_candidates("HW4 UZH"), vec!["HW4UZH"]);
        assert_eq!(
            code_candidates("Bonjour, HW4UZH et k7x2pq svp"),
            vec!["HW4UZH", "K7X2PQ"]
        );
        // "MAISON" has letters outside the alphabet (I, O); 7 letters are no code.
        assert!(code_candidates("maison bonjour").is_empty());
        assert!(code_candidates(&"AB2CDE ".repeat(20)).len() <= 5);
        assert!(looks_like_code("HW4UZH"));
        assert!(!looks_like_code("ABCDEF"), "no digit: a word, not a code");
        assert!(!looks_like_code("HW4UZ"));
    }
}
