//! `dklik_app::AccountStore` for [`SqlStore`]: users, sessions, one-time tokens, API tokens and
//! the e-mail outbox.

use crate::db::{query, query_scalar, FromRow, Row};
#[allow(unused_imports)]
use crate::prelude::*;
use crate::SqlStore;
pub(crate) use dklik_app::account_store::AccountStore;

#[::async_trait::async_trait]
impl AccountStore for SqlStore {
    async fn create_user(&self, u: &NewUser, at: i64) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO users (email, display_name, password_hash, role, employer_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(&u.password_hash)
        .bind(u.role)
        .bind(u.employer_id.map(|e| e.0))
        .bind(at)
        .fetch_one(&self.db)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("Un compte existe déjà pour {}.", u.email)),
            other => other,
        })
    }

    async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("{USER_SELECT} WHERE id = $1");
        let r = query(&sql)
            .bind(id)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(User::from_row).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("{USER_SELECT} WHERE email = $1");
        let r = query(&sql)
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        r.as_ref().map(User::from_row).transpose()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("{USER_SELECT} ORDER BY role, display_name");
        let rows = query(&sql).fetch_all(&self.db).await.map_err(db_err)?;
        rows.iter().map(User::from_row).collect()
    }

    async fn set_login_state(
        &self,
        id: i64,
        failed: i64,
        locked_until: Option<i64>,
    ) -> Result<(), StoreError> {
        query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(failed)
            .bind(locked_until)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_password(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Option<i64>,
        person_id: Option<PersonId>,
        csrf: &str,
        at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO sessions (token_hash, user_id, person_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(person_id)
        .bind(csrf)
        .bind(at)
        .bind(expires_at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        // The session and its account in one read (every signed-in page starts here).
        let r = query(
            "SELECT s.user_id, s.person_id, s.csrf, s.expires_at, u.id, u.email, u.display_name, \
             u.password_hash, u.role, u.employer_id, u.failed_logins, u.locked_until, u.disabled \
             FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        let user_id: Option<i64> = r.get("user_id")?;
        let user = match user_id {
            Some(_) => match r.get::<Option<i64>>("id")? {
                Some(_) => {
                    let u = User::from_row(&r)?;
                    if u.disabled {
                        return Ok(None);
                    }
                    Some(u)
                }
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(SessionRecord {
            user,
            person_id: r.id("person_id")?,
            csrf: r.get("csrf")?,
            expires_at: r.get("expires_at")?,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: i64) -> Result<(), StoreError> {
        query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn end_one_time_tokens(
        &self,
        user_id: Option<i64>,
        person_id: Option<PersonId>,
        purpose: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        query(
            "UPDATE one_time_tokens SET used_at = $4 WHERE purpose = $3 AND used_at IS NULL \
             AND (user_id = $1 OR person_id = $2)",
        )
        .bind(user_id)
        .bind(person_id)
        .bind(purpose)
        .bind(now)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn create_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        user_id: Option<i64>,
        person_id: Option<PersonId>,
        at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO one_time_tokens (token_hash, purpose, user_id, person_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(user_id)
        .bind(person_id)
        .bind(at)
        .bind(expires_at)
        .execute(&self.db)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn use_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        now: i64,
    ) -> Result<Option<(Option<i64>, Option<i64>)>, StoreError> {
        let r = query(
            "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
             AND used_at IS NULL AND expires_at > $1 RETURNING user_id, person_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&self.db)
        .await
        .map_err(db_err)?;
        r.map(|r| Ok((r.get("user_id")?, r.get("person_id")?)))
            .transpose()
    }

    async fn create_api_token(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        at: i64,
    ) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(role)
        .bind(token_hash)
        .bind(at)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)
    }

    async fn api_token(&self, token_hash: &str, now: i64) -> Result<Option<ApiToken>, StoreError> {
        let sql = format!("{API_TOKEN_SELECT} WHERE token_hash = $1 AND revoked_at IS NULL");
        let r = query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.db)
            .await
            .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        let t = ApiToken::from_row(&r)?;
        query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(t.id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(Some(t))
    }

    async fn revoke_api_token(&self, id: i64, at: i64) -> Result<(), StoreError> {
        let n = query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!("{API_TOKEN_SELECT} ORDER BY id");
        let rows = query(&sql).fetch_all(&self.db).await.map_err(db_err)?;
        rows.iter().map(ApiToken::from_row).collect()
    }

    async fn enqueue_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        at: i64,
    ) -> Result<i64, StoreError> {
        query_scalar(
            "INSERT INTO outbox (to_addr, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(at)
        .fetch_one(&self.db)
        .await
        .map_err(db_err)
    }

    async fn due_mails(&self, now: i64, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!(
            "{OUTBOX_SELECT} WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
        );
        let rows = query(&sql)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        rows.iter().map(OutboxMessage::from_row).collect()
    }

    async fn mail_sent(&self, id: i64, at: i64) -> Result<(), StoreError> {
        query("UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<(), StoreError> {
        query("UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3")
            .bind(error)
            .bind(next_attempt_at)
            .bind(id)
            .execute(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn outbox(&self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!("{OUTBOX_SELECT} ORDER BY id DESC LIMIT $1");
        let rows = query(&sql)
            .bind(limit as i64)
            .fetch_all(&self.db)
            .await
            .map_err(db_err)?;
        rows.iter().map(OutboxMessage::from_row).collect()
    }
}

pub(crate) const USER_SELECT: &str =
    "SELECT id, email, display_name, password_hash, role, employer_id, \
    failed_logins, locked_until, disabled FROM users";

impl FromRow for User {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(User {
            id: r.get("id")?,
            email: r.get("email")?,
            display_name: r.get("display_name")?,
            password_hash: r.get("password_hash")?,
            role: r.code::<Role>("role")?,
            employer_id: r.get::<Option<i64>>("employer_id")?.map(EmployerId),
            failed_logins: r.get("failed_logins")?,
            locked_until: r.get("locked_until")?,
            disabled: r.get("disabled")?,
        })
    }
}

pub(crate) const API_TOKEN_SELECT: &str =
    "SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens";

impl FromRow for ApiToken {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(ApiToken {
            id: r.get("id")?,
            name: r.get("name")?,
            role: r.code::<Role>("role")?,
            created_at: r.get("created_at")?,
            revoked_at: r.get("revoked_at")?,
            last_used_at: r.get("last_used_at")?,
        })
    }
}

pub(crate) const OUTBOX_SELECT: &str =
    "SELECT id, to_addr, subject, body, attempts, sent_at, last_error FROM outbox";

impl FromRow for OutboxMessage {
    fn from_row(r: &Row) -> Result<Self, StoreError> {
        Ok(OutboxMessage {
            id: r.get("id")?,
            to: r.get("to_addr")?,
            subject: r.get("subject")?,
            body: r.get("body")?,
            attempts: r.get("attempts")?,
            sent_at: r.get("sent_at")?,
            last_error: r.get("last_error")?,
        })
    }
}
