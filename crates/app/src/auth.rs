//! Passwords, sessions, one-time links, a person's codes and API tokens.
//!
//! Secrets never reach the database: passwords are stored as argon2id hashes; session tokens,
//! one-time links and API tokens as SHA-256 hashes of 256-bit random values; a person's
//! 6-digit codes, which are too short for a plain hash, as HMAC-SHA256 under the server's key
//! ([`ServerKey`]), which the database never holds.

use crate::people_store::{CodePurpose, LoginFailures};
use crate::store::{SessionRecord, Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use dklik_domain::account::check_password;
use dklik_domain::privacy::PersonId;
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
/// Tries on one code; the fifth wrong one ends it.
pub const CODE_TRIES: i64 = 5;
/// Codes one person may be sent in an hour, whatever the addresses asking.
pub const CODES_PER_HOUR: i64 = 5;

/// The server's secret key: a person's codes are stored as HMACs under it, so a copy of the
/// database alone does not give them away. Kept outside the database (a file, or
/// `DKLIK_SECRET`); several servers sharing a database share the key.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// A new random key (tests, or a first start).
    pub fn random() -> Result<Self, AuthError> {
        let mut k = [0u8; 32];
        getrandom::getrandom(&mut k).map_err(|e| {
            AuthError::Store(StoreError::Backend(format!("aléa indisponible : {e}")))
        })?;
        Ok(Self(k))
    }

    /// A key for this process only (tests; `serve` reads or makes a lasting one): random, or
    /// when the system gives no randomness, derived from the time and process id — then
    /// nothing else works either (sessions need randomness too).
    pub fn ephemeral() -> Self {
        Self::random().unwrap_or_else(|_| {
            let seed = format!("{:?}:{}", std::time::SystemTime::now(), std::process::id());
            Self(Sha256::digest(seed.as_bytes()).into())
        })
    }

    /// A key from a secret phrase of at least 32 characters.
    pub fn from_phrase(phrase: &str) -> Result<Self, AuthError> {
        if phrase.chars().count() < 32 {
            return Err(AuthError::Invalid(
                "La clé secrète du serveur doit avoir au moins 32 caractères.".into(),
            ));
        }
        Ok(Self(Sha256::digest(phrase.as_bytes()).into()))
    }

    /// The key kept in this file, made (readable by its owner only) when the file is missing.
    pub fn from_file(path: &std::path::Path) -> Result<Self, AuthError> {
        let io = |e: std::io::Error| {
            AuthError::Store(StoreError::Backend(format!(
                "clé secrète {} : {e}",
                path.display()
            )))
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_phrase(text.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let phrase = random_token()?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).map_err(io)?;
                std::io::Write::write_all(&mut f, format!("{phrase}\n").as_bytes()).map_err(io)?;
                Self::from_phrase(&phrase)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn mac(&self, msg: &str) -> String {
        hex(&hmac_sha256(&self.0, msg.as_bytes()))
    }
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Constant-time equality, so that the comparison time says nothing of a secret.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why a sign-in or a link failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong address or password.
    #[error("Adresse e-mail ou mot de passe incorrect.")]
    BadCredentials,
    /// Too many tries; wait.
    #[error("Trop d'essais depuis cet appareil. Attendez 15 minutes avant de réessayer.")]
    Locked,
    /// The link is unknown, used or expired.
    #[error("Ce lien n'est plus valable : il a expiré ou a déjà servi. Demandez-en un nouveau.")]
    InvalidLink,
    /// A rule refused the input (a password too short…).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
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

/// An argon2id hash of a password.
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

/// Whether a password matches its hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that no password matches, made once with the same parameters as real ones and
/// checked when the email is unknown or the address is held back, so that every answer takes
/// as long as a real check.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let phrase = random_token().unwrap_or_else(|_| "leurre-sans-alea-disponible".into());
        hash_password(&phrase).unwrap_or_default()
    })
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
    if !Role::PASSWORD_ACCOUNTS.contains(&role) {
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
    /// The cookie's value.
    pub token: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// Secrets stay out of logs and panic messages.
impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession { .. }")
    }
}

pub(crate) async fn open_session(
    store: &dyn Store,
    user: Option<i64>,
    person: Option<PersonId>,
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

/// Checks a password login from an address. Five failures of one account from one address
/// hold that address back for 15 minutes — for that account only: the owner, elsewhere,
/// still signs in, and nobody can lock a colleague out. Unknown accounts are counted and
/// answered the same way, with the same words and an argon2 check of the same cost.
pub async fn login(
    store: &dyn Store,
    email: &str,
    password: &str,
    addr: &str,
    now: i64,
) -> Result<(User, NewSession), AuthError> {
    let key = email.trim().to_lowercase();
    let failures = store.login_failures(&key, addr).await?;
    let user = store.user_by_email(email).await?.filter(|u| !u.disabled);
    let held = failures.locked_until.is_some_and(|t| t > now);
    let ok = match &user {
        Some(u) if !held => verify_password(password, &u.password_hash),
        _ => {
            let _ = verify_password(password, decoy_hash());
            false
        }
    };
    if held {
        return Err(AuthError::Locked);
    }
    let Some(user) = user.filter(|_| ok) else {
        let failed = if failures.locked_until.is_some() {
            1
        } else {
            failures.failures + 1
        };
        let lock = (failed >= MAX_FAILED_LOGINS).then_some(now + LOCKOUT_SECONDS);
        store
            .set_login_failures(
                &key,
                addr,
                LoginFailures {
                    failures: failed,
                    locked_until: lock,
                },
                now,
            )
            .await?;
        return Err(if lock.is_some() {
            AuthError::Locked
        } else {
            AuthError::BadCredentials
        });
    };
    if failures != LoginFailures::default() {
        store
            .set_login_failures(&key, addr, LoginFailures::default(), now)
            .await?;
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

/// Ends a session.
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
    // A new link replaces the earlier ones.
    store
        .end_one_time_tokens(Some(user.id), None, "password_reset", now)
        .await?;
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
    store
        .end_one_time_tokens(Some(user_id), None, "password_reset", now)
        .await?;
    store.delete_user_sessions(user_id).await?;
    Ok(user_id)
}

fn code_mac(key: &ServerKey, person_id: PersonId, purpose: CodePurpose, code: &str) -> String {
    key.mac(&format!("{}:{person_id}:{code}", purpose.as_str()))
}

/// Takes a try on the person's live code and uses it when it matches.
async fn check_code(
    store: &dyn Store,
    key: &ServerKey,
    person_id: PersonId,
    purpose: CodePurpose,
    code: &str,
    now: i64,
) -> Result<crate::people_store::PersonCode, AuthError> {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    if code.len() != 6 {
        return Err(AuthError::InvalidLink);
    }
    let Some(live) = store
        .try_person_code(person_id, purpose, now, CODE_TRIES)
        .await?
    else {
        return Err(AuthError::InvalidLink);
    };
    if !same(&code_mac(key, person_id, purpose, &code), &live.code_mac)
        || !store.use_person_code(live.id, now).await?
    {
        return Err(AuthError::InvalidLink);
    }
    Ok(live)
}

/// How a person signs in to "Mon espace": the e-mail address or the mobile number they left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonContact {
    /// An e-mail address, lower case.
    Email(String),
    /// A French mobile, as records keep it ("06 12 34 56 78").
    Mobile(String),
}

impl PersonContact {
    /// Reads what the person typed: an address with an "@", or a mobile number.
    pub fn parse(typed: &str) -> Result<Self, String> {
        let t = typed.trim();
        if t.contains('@') {
            return dklik_domain::interest::normalize_email(t)
                .map(Self::Email)
                .map_err(|_| {
                    "Cette adresse e-mail n'est pas valide. Exemple : prenom@exemple.fr".into()
                });
        }
        match (
            dklik_domain::sms::international(t),
            dklik_domain::interest::normalize_phone(t),
        ) {
            (Some(_), Ok(national)) => Ok(Self::Mobile(national)),
            (None, Ok(_)) => Err("Ce numéro ne reçoit pas de SMS : donnez un portable (06 ou 07) ou votre adresse e-mail.".into()),
            _ => Err("Écrivez votre adresse e-mail ou votre numéro de portable, par exemple 06 12 34 56 78.".into()),
        }
    }

    async fn person(&self, store: &dyn Store) -> Result<Option<dklik_domain::Person>, StoreError> {
        match self {
            Self::Email(e) => store.person_for_login(e).await,
            Self::Mobile(p) => store.person_for_phone_login(p).await,
        }
    }
}

/// Sends a person a code to open "Mon espace": by e-mail, or by text message to a mobile
/// (`sms`). Says nothing of whether the contact is known (the same answer either way).
pub async fn request_person_code(
    store: &dyn Store,
    key: &ServerKey,
    sms: &dyn crate::orientation::SmsSender,
    contact: &str,
    now: i64,
) -> Result<(), AuthError> {
    let contact = PersonContact::parse(contact).map_err(AuthError::Invalid)?;
    let Some(person) = contact.person(store).await? else {
        return Ok(());
    };
    let code = random_code()?;
    let issued = store
        .issue_person_code(
            person.id,
            CodePurpose::Login,
            &code_mac(key, person.id, CodePurpose::Login, &code),
            None,
            now,
            now + PERSON_CODE_SECONDS,
            CODES_PER_HOUR,
        )
        .await?;
    if !issued {
        return Ok(());
    }
    match &contact {
        PersonContact::Email(email) => {
            let body = format!(
                "Bonjour,\n\nVotre code pour ouvrir votre espace DKLIK : {code}\n\nIl marche 15 minutes, une seule fois. Un nouveau code remplace celui-ci. Si vous n'avez rien demandé, ignorez ce message.\n"
            );
            store
                .enqueue_mail(email, "DKLIK : votre code", &body, now)
                .await?;
        }
        PersonContact::Mobile(phone) => {
            let body = format!(
                "DKLIK : votre code pour ouvrir votre espace est {code}. Il marche 15 minutes. Ne le donnez à personne."
            );
            if let Err(e) = sms.send(phone, &body).await {
                tracing::warn!("SMS de code : {}", dklik_domain::privacy::redact(&e));
            }
        }
    }
    Ok(())
}

/// Opens a person's session from the code received; using it proves the address or the
/// mobile is theirs.
pub async fn person_login(
    store: &dyn Store,
    key: &ServerKey,
    contact: &str,
    code: &str,
    now: i64,
) -> Result<(PersonId, NewSession), AuthError> {
    let contact = PersonContact::parse(contact).map_err(|_| AuthError::InvalidLink)?;
    let person = contact.person(store).await?.ok_or(AuthError::InvalidLink)?;
    check_code(store, key, person.id, CodePurpose::Login, code, now).await?;
    let by_mobile = matches!(contact, PersonContact::Mobile(_));
    store
        .verify_contact(person.id, !by_mobile, by_mobile, now)
        .await?;
    let session = open_session(store, None, Some(person.id), now).await?;
    Ok((person.id, session))
}

/// Starts a change of a person's e-mail: a code goes to the new address, which replaces the
/// old one only once the code comes back.
pub async fn request_email_change(
    store: &dyn Store,
    key: &ServerKey,
    person_id: PersonId,
    new_email: &str,
    now: i64,
) -> Result<(), AuthError> {
    let email = dklik_domain::interest::normalize_email(new_email).map_err(|_| {
        AuthError::Invalid(
            "Cette adresse e-mail n'est pas valide. Exemple : prenom@exemple.fr".into(),
        )
    })?;
    let person = store
        .person(person_id)
        .await?
        .filter(|p| p.anonymised_at.is_none())
        .ok_or(AuthError::InvalidLink)?;
    if person.email.as_deref() == Some(email.as_str()) {
        return Err(AuthError::Invalid(
            "C'est déjà l'adresse de votre espace.".into(),
        ));
    }
    let code = random_code()?;
    let issued = store
        .issue_person_code(
            person_id,
            CodePurpose::EmailChange,
            &code_mac(key, person_id, CodePurpose::EmailChange, &code),
            Some(&email),
            now,
            now + PERSON_CODE_SECONDS,
            CODES_PER_HOUR,
        )
        .await?;
    if !issued {
        return Err(AuthError::Invalid(
            "Trop de codes envoyés en une heure. Réessayez plus tard.".into(),
        ));
    }
    let body = format!(
        "Bonjour,\n\nPour que cette adresse devienne celle de votre espace DKLIK, écrivez ce code : {code}\n\nIl marche 15 minutes, une seule fois. Si vous n'avez rien demandé, ignorez ce message : rien ne change.\n"
    );
    store
        .enqueue_mail(
            &email,
            "DKLIK : confirmez votre nouvelle adresse",
            &body,
            now,
        )
        .await?;
    Ok(())
}

/// Ends a change of e-mail with the code sent to the new address: the address changes, the
/// old one is told, and every session of the person ends. Returns the new address.
pub async fn confirm_email_change(
    store: &dyn Store,
    key: &ServerKey,
    person_id: PersonId,
    code: &str,
    now: i64,
) -> Result<String, AuthError> {
    let old = store.person(person_id).await?.and_then(|p| p.email);
    let live = check_code(store, key, person_id, CodePurpose::EmailChange, code, now).await?;
    let new = live.new_email.ok_or(AuthError::InvalidLink)?;
    store.change_person_email(person_id, &new, now).await?;
    if let Some(old) = old.filter(|o| *o != new) {
        notify_contact_change(store, &old, now).await?;
    }
    Ok(new)
}

/// Tells the old address that the e-mail of a DKLIK space changed.
pub async fn notify_contact_change(
    store: &dyn Store,
    old_email: &str,
    now: i64,
) -> Result<(), AuthError> {
    store
        .enqueue_mail(
            old_email,
            "DKLIK : l'adresse de votre espace a changé",
            "Bonjour,\n\nL'adresse e-mail de votre espace DKLIK vient de changer : cette adresse ne l'ouvre plus.\n\nSi vous n'avez rien demandé, appelez votre conseiller ou écrivez-nous en répondant à ce message.\n",
            now,
        )
        .await?;
    Ok(())
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
    fn server_keys_need_a_long_phrase_and_give_distinct_macs() {
        assert!(ServerKey::from_phrase("court").is_err());
        let a = ServerKey::from_phrase(&"a".repeat(32)).unwrap();
        let b = ServerKey::from_phrase(&"b".repeat(32)).unwrap();
        assert_ne!(a.mac("login:1:123456"), b.mac("login:1:123456"));
        assert_eq!(a.mac("login:1:123456"), a.mac("login:1:123456"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
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
