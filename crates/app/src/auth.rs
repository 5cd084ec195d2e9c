//! Passwords, sessions, one-time links and API tokens.
//!
//! Secrets never reach the database: passwords are stored as argon2id hashes; session tokens,
//! one-time links and API tokens as SHA-256 hashes of 256-bit random values.

use crate::store::{SessionRecord, Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use dklik_domain::account::check_password;
use dklik_domain::{NewUser, Role, User};
use sha2::{Digest, Sha256};

/// How long a staff session lasts (8 hours: a working day).
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// Failed logins before a temporary lockout.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// How long a password-reset link works.
pub const RESET_SECONDS: i64 = 3600;
/// How long a person's login code works.
pub const PERSON_CODE_SECONDS: i64 = 15 * 60;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Adresse e-mail ou mot de passe incorrect.")]
    BadCredentials,
    #[error("Trop d'essais. Le compte est bloqué quelques minutes : réessayez dans 15 minutes.")]
    Locked,
    #[error("Ce lien n'est plus valable : il a expiré ou a déjà servi. Demandez-en un nouveau.")]
    InvalidLink,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// 32 random bytes as 64 hex characters.
pub fn random_token() -> Result<String, AuthError> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b)
        .map_err(|e| AuthError::Store(StoreError::Backend(format!("aléa indisponible : {e}"))))?;
    Ok(hex(&b))
}

/// A 6-digit code for people who log in by email.
pub fn random_code() -> Result<String, AuthError> {
    let mut b = [0u8; 4];
    getrandom::getrandom(&mut b)
        .map_err(|e| AuthError::Store(StoreError::Backend(format!("aléa indisponible : {e}"))))?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    check_password(password).map_err(AuthError::Invalid)?;
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)
        .map_err(|e| AuthError::Store(StoreError::Backend(format!("aléa indisponible : {e}"))))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AuthError::Store(StoreError::Backend(e.to_string())))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Store(StoreError::Backend(e.to_string())))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that no password matches, checked when the email is unknown so that the answer
/// takes as long either way.
fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0Kg6V5Bq4GzJm1qBv0v8lXbIuYxQHb3a3S8rjC2S8l0"
}

/// Creates a password account.
pub async fn create_user(
    store: &dyn Store,
    email: &str,
    display_name: &str,
    password: &str,
    role: Role,
    employer_id: Option<dklik_domain::EmployerId>,
    now: i64,
) -> Result<i64, AuthError> {
    let email = dklik_domain::interest::normalize_email(email).map_err(AuthError::Invalid)?;
    if !Role::STAFF.contains(&role) {
        return Err(AuthError::Invalid(format!(
            "Le rôle « {} » n'a pas de mot de passe.",
            role.label_fr()
        )));
    }
    if (role == Role::Employer) != employer_id.is_some() {
        return Err(AuthError::Invalid(
            "Un compte entreprise est rattaché à une entreprise, et seulement lui.".into(),
        ));
    }
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::Invalid(
            "Le nom affiché doit avoir entre 1 et 100 caractères.".into(),
        ));
    }
    let user = NewUser {
        email,
        display_name: name.to_string(),
        role,
        employer_id,
        password_hash: hash_password(password)?,
    };
    Ok(store.create_user(&user, now).await?)
}

/// A new session: the cookie value to send, and the CSRF token of its forms.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// Secrets stay out of logs and panic messages.
impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession { .. }")
    }
}

async fn open_session(
    store: &dyn Store,
    user: Option<i64>,
    person: Option<i64>,
    now: i64,
) -> Result<NewSession, AuthError> {
    let token = random_token()?;
    let csrf = random_token()?;
    store
        .create_session(
            &token_hash(&token),
            user,
            person,
            &csrf,
            now,
            now + SESSION_SECONDS,
        )
        .await?;
    Ok(NewSession { token, csrf })
}

/// Checks a password login. Five failures lock the account for 15 minutes.
pub async fn login(
    store: &dyn Store,
    email: &str,
    password: &str,
    now: i64,
) -> Result<(User, NewSession), AuthError> {
    let user = store.user_by_email(email).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        let _ = verify_password(password, decoy_hash());
        return Err(AuthError::BadCredentials);
    };
    if user.locked_until.is_some_and(|t| t > now) {
        return Err(AuthError::Locked);
    }
    if !verify_password(password, &user.password_hash) {
        let failed = user.failed_logins + 1;
        let lock = (failed >= MAX_FAILED_LOGINS).then_some(now + LOCKOUT_SECONDS);
        store
            .set_login_state(user.id, if lock.is_some() { 0 } else { failed }, lock)
            .await?;
        return Err(if lock.is_some() {
            AuthError::Locked
        } else {
            AuthError::BadCredentials
        });
    }
    if user.failed_logins > 0 || user.locked_until.is_some() {
        store.set_login_state(user.id, 0, None).await?;
    }
    let session = open_session(store, Some(user.id), None, now).await?;
    Ok((user, session))
}

/// The session behind a cookie value, if valid.
pub async fn session(
    store: &dyn Store,
    token: &str,
    now: i64,
) -> Result<Option<SessionRecord>, AuthError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.session(&token_hash(token), now).await?)
}

pub async fn logout(store: &dyn Store, token: &str) -> Result<(), AuthError> {
    Ok(store.delete_session(&token_hash(token)).await?)
}

/// Starts a password reset: when the email is an account's, queues an email with a one-use
/// link. Answers the same either way, so that nobody learns which emails have accounts.
pub async fn request_password_reset(
    store: &dyn Store,
    email: &str,
    base_url: &str,
    now: i64,
) -> Result<(), AuthError> {
    let Some(user) = store.user_by_email(email).await?.filter(|u| !u.disabled) else {
        return Ok(());
    };
    let token = random_token()?;
    store
        .create_one_time_token(
            &token_hash(&token),
            "password_reset",
            Some(user.id),
            None,
            now,
            now + RESET_SECONDS,
        )
        .await?;
    let body = format!(
        "Bonjour {},\n\nPour choisir un nouveau mot de passe DKLIK, ouvrez ce lien dans l'heure :\n\n{base_url}/connexion/nouveau-mot-de-passe?jeton={token}\n\nLe lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n",
        user.display_name
    );
    store
        .enqueue_mail(
            &user.email,
            "DKLIK : choisir un nouveau mot de passe",
            &body,
            now,
        )
        .await?;
    Ok(())
}

/// Ends a password reset: the link works once, within the hour. Every session of the account
/// is closed.
pub async fn complete_password_reset(
    store: &dyn Store,
    token: &str,
    new_password: &str,
    now: i64,
) -> Result<i64, AuthError> {
    let hash = hash_password(new_password)?;
    let Some((Some(user_id), _)) = store
        .use_one_time_token(&token_hash(token), "password_reset", now)
        .await?
    else {
        return Err(AuthError::InvalidLink);
    };
    store.set_password(user_id, &hash).await?;
    store.delete_user_sessions(user_id).await?;
    Ok(user_id)
}

/// Sends a person (known by email) a 6-digit login code. Answers the same whether or not the
/// email is known.
pub async fn request_person_code(
    store: &dyn Store,
    email: &str,
    now: i64,
) -> Result<(), AuthError> {
    let Ok(email) = dklik_domain::interest::normalize_email(email) else {
        return Err(AuthError::Invalid(
            "Cette adresse e-mail n'est pas valide. Exemple : prenom@exemple.fr".into(),
        ));
    };
    let Some(person) = store.person_by_email(&email).await? else {
        return Ok(());
    };
    let code = random_code()?;
    store
        .create_one_time_token(
            &token_hash(&format!("{}:{code}", person.id)),
            "person_login",
            None,
            Some(person.id),
            now,
            now + PERSON_CODE_SECONDS,
        )
        .await?;
    let body = format!(
        "Bonjour,\n\nVotre code pour ouvrir votre espace DKLIK : {code}\n\nIl marche 15 minutes, une seule fois. Si vous n'avez rien demandé, ignorez ce message.\n"
    );
    store
        .enqueue_mail(&email, "DKLIK : votre code", &body, now)
        .await?;
    Ok(())
}

/// Opens a person's session from the emailed code.
pub async fn person_login(
    store: &dyn Store,
    email: &str,
    code: &str,
    now: i64,
) -> Result<(i64, NewSession), AuthError> {
    let email =
        dklik_domain::interest::normalize_email(email).map_err(|_| AuthError::InvalidLink)?;
    let person = store
        .person_by_email(&email)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    let Some((_, Some(pid))) = store
        .use_one_time_token(
            &token_hash(&format!("{}:{code}", person.id)),
            "person_login",
            now,
        )
        .await?
    else {
        return Err(AuthError::InvalidLink);
    };
    let session = open_session(store, None, Some(pid), now).await?;
    Ok((pid, session))
}

/// Creates an API token for a screen or a feed sender; returns (id, token). The token is shown
/// once: only its hash is kept.
pub async fn create_api_token(
    store: &dyn Store,
    name: &str,
    role: Role,
    now: i64,
) -> Result<(i64, String), AuthError> {
    if !matches!(role, Role::Screen | Role::Feed) {
        return Err(AuthError::Invalid(
            "Un jeton d'API est pour un écran (screen) ou un flux de positions (feed).".into(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::Invalid(
            "Le nom du jeton doit avoir entre 1 et 100 caractères.".into(),
        ));
    }
    let token = format!("dk_{}", random_token()?);
    let id = store
        .create_api_token(name, role, &token_hash(&token), now)
        .await?;
    Ok((id, token))
}

/// The role of a bearer token, if it is valid and not revoked.
pub async fn check_api_token(
    store: &dyn Store,
    token: &str,
    now: i64,
) -> Result<Option<Role>, AuthError> {
    if !token.starts_with("dk_") || token.len() != 67 {
        return Ok(None);
    }
    Ok(store
        .api_token(&token_hash(token), now)
        .await?
        .map(|t| t.role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_verify() {
        let h = hash_password("une phrase de passe").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("une phrase de passe", &h));
        assert!(!verify_password("une autre phrase", &h));
        assert!(!verify_password("x", "pas un hash"));
        assert!(hash_password("court").is_err());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(random_code().unwrap().len(), 6);
    }
}
