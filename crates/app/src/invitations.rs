//! Employer accounts by invitation: an advisor invites an employer's contact by e-mail; the
//! link works once, for 7 days, and lets the contact choose a password. The account then sees
//! only its employer's offers and people.

use crate::auth::{self, AuthError, NewSession};
use crate::employer_store::Invitation;
use crate::store::{Store, StoreError};
use dklik_domain::{EmployerId, User};

/// How long an invitation's link works.
pub const INVITATION_SECONDS: i64 = 7 * 24 * 3600;

/// Invites `email` to an employer account of `employer`: the link is e-mailed (through the
/// outbox) and the invitation recorded; the audit log says who sent it.
pub async fn invite(
    store: &dyn Store,
    by: &User,
    employer: EmployerId,
    name: &str,
    email: &str,
    base_url: &str,
    now: i64,
) -> Result<(), AuthError> {
    let email = dklik_domain::interest::normalize_email(email).map_err(AuthError::Invalid)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::Invalid(
            "Écrivez le nom de la personne invitée (100 caractères au plus).".into(),
        ));
    }
    if store.user_by_email(&email).await?.is_some() {
        return Err(AuthError::Invalid(format!(
            "Un compte existe déjà pour {email} : la personne se connecte avec son mot de passe."
        )));
    }
    let emp = store
        .employer(employer)
        .await?
        .ok_or(StoreError::NotFound)?;
    let token = auth::random_token()?;
    let actor = crate::inbox::actor_label(by);
    store
        .create_invitation(
            &auth::token_hash(&token),
            &Invitation {
                employer_id: employer,
                email: email.clone(),
                display_name: name.to_string(),
                invited_by: actor.clone(),
                created_at: now,
                expires_at: now + INVITATION_SECONDS,
                used_at: None,
            },
        )
        .await?;
    let body = format!(
        "Bonjour {name},\n\n{} vous invite à publier les offres de {} sur DKLIK, le service emploi du territoire.\n\nPour choisir votre mot de passe, ouvrez ce lien dans les 7 jours :\n\n{base_url}/invitation/{token}\n\nLe lien ne sert qu'une fois. Si vous ne connaissez pas DKLIK, ignorez ce message.\n",
        by.display_name, emp.name
    );
    store
        .enqueue_mail(
            &email,
            &format!("DKLIK : votre accès pour {}", emp.name),
            &body,
            now,
        )
        .await?;
    store
        .add_audit(
            Some(by.id),
            &actor,
            "create",
            &format!("employer:{}", employer.0),
            "invitation envoyée",
            now,
        )
        .await?;
    Ok(())
}

/// The invitation behind a link, if it can still be used at `now`.
pub async fn live_invitation(
    store: &dyn Store,
    token: &str,
    now: i64,
) -> Result<Option<Invitation>, StoreError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store
        .invitation(&auth::token_hash(token))
        .await?
        .filter(|i| i.used_at.is_none() && i.expires_at > now))
}

/// Makes the invited contact's account with the password chosen (typed twice) and opens its
/// session. The link then no longer works.
pub async fn accept(
    store: &dyn Store,
    token: &str,
    password: &str,
    again: &str,
    now: i64,
) -> Result<(i64, NewSession), AuthError> {
    if live_invitation(store, token, now).await?.is_none() {
        return Err(AuthError::InvalidLink);
    }
    if password != again {
        return Err(AuthError::Invalid(
            "Les deux mots de passe sont différents : tapez le même deux fois.".into(),
        ));
    }
    let hash = auth::hash_password(password)?;
    let user = match store
        .accept_invitation(&auth::token_hash(token), &hash, now)
        .await
    {
        Err(StoreError::NotFound) => return Err(AuthError::InvalidLink),
        Err(StoreError::Conflict(m)) => return Err(AuthError::Invalid(m)),
        other => other?,
    };
    let session = auth::open_session(store, Some(user), None, now).await?;
    Ok((user, session))
}
