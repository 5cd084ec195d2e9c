//! The storage contract of accounts: users, sessions, one-time links and codes, API tokens,
//! and the outbox of email. Part of [`crate::Store`]; implemented once for both databases by
//! `dklik_store_sql::impl_account_store!`.

use crate::store::{ApiToken, OutboxMessage, SessionRecord, StoreError};
use async_trait::async_trait;
use dklik_domain::privacy::PersonId;
use dklik_domain::{NewUser, Role, User};

/// Accounts, sessions, tokens, one-time links and the outbox.
#[async_trait]
pub trait AccountStore: Send + Sync {
    // --- Accounts and sessions ---
    /// `Conflict` when the email is taken.
    async fn create_user(&self, user: &NewUser, at: i64) -> Result<i64, StoreError>;
    /// An account by number.
    async fn user(&self, id: i64) -> Result<Option<User>, StoreError>;
    /// An account by sign-in address.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Every account.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Records a sign-in's outcome.
    async fn set_login_state(
        &self,
        id: i64,
        failed_logins: i64,
        locked_until: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Sets an account's password hash.
    async fn set_password(&self, id: i64, hash: &str) -> Result<(), StoreError>;
    /// Opens a session.
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Option<i64>,
        person_id: Option<PersonId>,
        csrf: &str,
        at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The session if it exists and has not expired at `now`.
    async fn session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of an account.
    async fn delete_user_sessions(&self, user_id: i64) -> Result<(), StoreError>;
    /// A one-use link or code: `purpose` is `password_reset` or `person_login`.
    async fn create_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        user_id: Option<i64>,
        person_id: Option<PersonId>,
        at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Ends every live one-use link of this account (or person) and purpose.
    async fn end_one_time_tokens(
        &self,
        user_id: Option<i64>,
        person_id: Option<PersonId>,
        purpose: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Marks the token used and returns its (user, person), or None when it is unknown,
    /// expired or already used. Atomic: two uses at once cannot both succeed.
    async fn use_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        now: i64,
    ) -> Result<Option<(Option<i64>, Option<i64>)>, StoreError>;
    /// Makes an API token (its secret stored as a hash).
    async fn create_api_token(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// The token if it exists and is not revoked; records its use.
    async fn api_token(&self, token_hash: &str, now: i64) -> Result<Option<ApiToken>, StoreError>;
    /// Revokes an API token.
    async fn revoke_api_token(&self, id: i64, at: i64) -> Result<(), StoreError>;
    /// Every API token.
    async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    // --- Outgoing email ---
    /// Queues an e-mail.
    async fn enqueue_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        at: i64,
    ) -> Result<i64, StoreError>;
    /// Unsent messages whose next attempt is due.
    async fn due_mails(&self, now: i64, limit: u32) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Marks an e-mail as sent.
    async fn mail_sent(&self, id: i64, at: i64) -> Result<(), StoreError>;
    /// Records a failed try.
    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<(), StoreError>;
    /// Newest first, sent or not.
    async fn outbox(&self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError>;
}
