//! Service messages that win over the offers: an admin (or an operator's system with a screen
//! token) puts a message on every screen, a line's screens or one screen, from now (or a
//! given time) until a time. It replaces the offer slides at once on the open screen pages
//! (server push) and ends by itself.

use crate::screens::ScreenHub;
use crate::store::{Store, StoreError, Takeover, TakeoverScope};
use dklik_domain::ValidationError;

/// The longest message, in characters (it must be readable from the back of a bus).
pub const MAX_TEXT: usize = 280;
/// The furthest end, in seconds from its start (31 days).
pub const MAX_LENGTH_S: i64 = 31 * 86_400;

/// A service message as asked.
#[derive(Debug, Clone, Default)]
pub struct TakeoverForm {
    /// The message.
    pub text: String,
    /// "all", "line" or "screen".
    pub scope: String,
    /// The line or the screen (vehicle), for those scopes.
    pub target: String,
    /// Start (Unix seconds); `None` for now.
    pub from: Option<i64>,
    /// End (Unix seconds).
    pub until: Option<i64>,
}

/// Why a service message was refused, or the store failing.
#[derive(Debug, thiserror::Error)]
pub enum TakeoverError {
    /// The fields, each with its French sentence.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether a service message is for this screen: every screen, its line, or itself (by the
/// screen's id or its vehicle's).
pub fn applies(t: &Takeover, screen: &str, vehicle: &str, line: Option<&str>) -> bool {
    match t.scope {
        TakeoverScope::All => true,
        TakeoverScope::Line => line.is_some_and(|l| l.eq_ignore_ascii_case(&t.target)),
        TakeoverScope::Screen => t.target == screen || t.target == vehicle,
    }
}

/// The message a screen shows at `now`, if any: the latest started of those for it.
pub fn for_screen<'a>(
    list: &'a [Takeover],
    screen: &str,
    vehicle: &str,
    line: Option<&str>,
    now: i64,
) -> Option<&'a Takeover> {
    list.iter()
        .filter(|t| t.active(now) && applies(t, screen, vehicle, line))
        .max_by_key(|t| (t.from, t.id))
}

/// Checks a service message: French sentences for each wrong field.
pub fn check(
    f: &TakeoverForm,
    now: i64,
) -> Result<(TakeoverScope, String, i64, i64), ValidationError> {
    let mut errs = ValidationError::default();
    let text = f.text.trim();
    if text.is_empty() {
        errs.push("texte", "Écrivez le message à afficher.");
    } else if text.chars().count() > MAX_TEXT {
        errs.push(
            "texte",
            format!("Le message fait {MAX_TEXT} caractères au plus, pour rester lisible du fond du bus."),
        );
    }
    let scope = TakeoverScope::parse(f.scope.trim());
    let target = f.target.trim().to_string();
    match scope {
        None => errs.push(
            "portee",
            "Choisissez où afficher : tous les écrans, une ligne ou un écran.",
        ),
        Some(TakeoverScope::All) => {}
        Some(s) => {
            let ok = !target.is_empty()
                && target.len() <= 64
                && target
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_. ".contains(&b));
            if !ok {
                errs.push(
                    "cible",
                    if s == TakeoverScope::Line {
                        "Indiquez la ligne (son nom court, « C1 », ou son identifiant GTFS)."
                    } else {
                        "Indiquez l'écran ou le véhicule (lettres, chiffres, tiret, point, souligné)."
                    },
                );
            }
        }
    }
    let from = f.from.unwrap_or(now).max(now - 60);
    match f.until {
        None => errs.push("jusqua", "Indiquez jusqu'à quand le message reste affiché."),
        Some(u) if u <= from.max(now) => errs.push(
            "jusqua",
            "La fin du message doit venir après son début et après maintenant.",
        ),
        Some(u) if u - from > MAX_LENGTH_S => errs.push(
            "jusqua",
            "Un message prioritaire dure 31 jours au plus ; pour un message durable, utilisez les messages du jour.",
        ),
        Some(_) => {}
    }
    errs.into_result()?;
    Ok((
        scope.unwrap_or(TakeoverScope::All),
        if scope == Some(TakeoverScope::All) {
            String::new()
        } else {
            target
        },
        from,
        f.until.unwrap_or(now),
    ))
}

/// Records a service message and puts it on the screens at once; the message as stored.
pub async fn create(
    store: &dyn Store,
    hub: &ScreenHub,
    f: &TakeoverForm,
    who: &str,
    now: i64,
) -> Result<Takeover, TakeoverError> {
    let (scope, target, from, until) = check(f, now)?;
    let mut t = Takeover {
        id: 0,
        text: f.text.trim().to_string(),
        scope,
        target,
        from,
        until,
        created_by: who.to_string(),
        created_at: now,
        ended_at: None,
    };
    t.id = store.add_takeover(&t).await?;
    hub.reload_takeovers(store, now).await?;
    Ok(t)
}

/// Ends a service message now; whether it was running.
pub async fn end(
    store: &dyn Store,
    hub: &ScreenHub,
    id: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let ended = store.end_takeover(id, now).await?;
    hub.reload_takeovers(store, now).await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(scope: TakeoverScope, target: &str, from: i64, until: i64) -> Takeover {
        Takeover {
            id: from,
            text: "Déviation".into(),
            scope,
            target: target.into(),
            from,
            until,
            created_by: "admin".into(),
            created_at: from,
            ended_at: None,
        }
    }

    #[test]
    fn a_message_is_for_its_screens_while_it_runs() {
        let list = vec![
            t(TakeoverScope::All, "", 100, 200),
            t(TakeoverScope::Line, "C1", 150, 300),
            t(TakeoverScope::Screen, "bus-7", 160, 170),
        ];
        assert_eq!(for_screen(&list, "e1", "bus-1", None, 99), None);
        assert_eq!(
            for_screen(&list, "e1", "bus-1", None, 120).map(|x| x.id),
            Some(100)
        );
        assert_eq!(
            for_screen(&list, "e1", "bus-1", Some("c1"), 155).map(|x| x.id),
            Some(150)
        );
        assert_eq!(
            for_screen(&list, "e1", "bus-7", Some("C2"), 165).map(|x| x.id),
            Some(160)
        );
        assert_eq!(for_screen(&list, "e1", "bus-1", Some("C2"), 250), None);
        let mut ended = list[1].clone();
        ended.ended_at = Some(160);
        assert_eq!(for_screen(&[ended], "e1", "bus-1", Some("C1"), 170), None);
    }

    #[test]
    fn bad_messages_are_said_field_by_field() {
        let now = 1_000_000;
        let e = check(&TakeoverForm::default(), now).expect_err("empty");
        let fields: Vec<&str> = e.errors.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, vec!["texte", "portee", "jusqua"]);
        let long = TakeoverForm {
            text: "x".repeat(281),
            scope: "line".into(),
            target: "".into(),
            until: Some(now + 40 * 86_400),
            ..Default::default()
        };
        let e = check(&long, now).expect_err("long");
        assert_eq!(
            e.errors
                .iter()
                .map(|x| x.field.as_str())
                .collect::<Vec<_>>(),
            vec!["texte", "cible", "jusqua"]
        );
        let past = TakeoverForm {
            text: "Ligne C1 déviée".into(),
            scope: "all".into(),
            target: "ignoré".into(),
            until: Some(now - 5),
            ..Default::default()
        };
        assert!(check(&past, now).is_err());
        let ok = TakeoverForm {
            until: Some(now + 3600),
            ..past
        };
        assert_eq!(
            check(&ok, now).expect("ok"),
            (TakeoverScope::All, String::new(), now, now + 3600)
        );
    }
}
