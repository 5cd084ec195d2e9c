//! Background work of a running server: deliver email, send the daily reminder, anonymise
//! people past the retention period. Each step is safe to run from several servers.

use crate::mail::Mailer;
use crate::store::Store;

/// What the server runs in the background.
pub struct JobSettings {
    /// The site's address, for links in e-mails.
    pub base_url: String,
    /// Months without activity before a record is erased.
    pub retention_months: u32,
    /// The daily jobs run from this hour (Europe/Paris) on.
    pub daily_hour: u8,
    /// Text messages (reminders the day before an OrientaKlik session).
    pub sms: std::sync::Arc<dyn crate::orientation::SmsSender>,
}

/// One round: called every few seconds by `dklik serve`.
pub async fn tick(store: &dyn Store, mailer: &dyn Mailer, s: &JobSettings) {
    let now = crate::unix_now();
    if let Err(e) = crate::mail::deliver_due(store, mailer, now).await {
        tracing::error!(
            "envoi des courriels : {}",
            dklik_domain::privacy::redact(&e.to_string())
        );
    }
    let paris = crate::now_paris();
    if paris.hour() < s.daily_hour {
        return;
    }
    let today = paris.date();
    if let Err(e) = crate::inbox::daily_reminders(store, today, &s.base_url, now).await {
        tracing::error!(
            "rappel quotidien : {}",
            dklik_domain::privacy::redact(&e.to_string())
        );
    }
    match store.claim_job_run("orientation_reminders", today).await {
        Ok(true) => {
            match crate::orientation::send_reminders(store, s.sms.as_ref(), today, now).await {
                Ok(n) if n > 0 => tracing::info!("OrientaKlik : {n} rappel(s) envoyé(s)"),
                Ok(_) => {}
                Err(e) => tracing::error!(
                    "rappels OrientaKlik : {}",
                    dklik_domain::privacy::redact(&e.to_string())
                ),
            }
        }
        Ok(false) => {}
        Err(e) => tracing::error!(
            "rappels OrientaKlik : {}",
            dklik_domain::privacy::redact(&e.to_string())
        ),
    }
    match store.claim_job_run("sms_news", today).await {
        Ok(true) => match crate::sms_news::weekly(store, &s.base_url, now).await {
            Ok(n) if n > 0 => tracing::info!("nouvelles offres par SMS : {n} message(s)"),
            Ok(_) => {}
            Err(e) => tracing::error!(
                "nouvelles offres par SMS : {}",
                dklik_domain::privacy::redact(&e.to_string())
            ),
        },
        Ok(false) => {}
        Err(e) => tracing::error!("nouvelles offres par SMS : {e}"),
    }
    match store.claim_job_run("offers_expiry", today).await {
        Ok(true) => match crate::employers::expire_offers(store, today, now).await {
            Ok(n) if n > 0 => tracing::info!("offres : {n} arrivée(s) à leur date de fin"),
            Ok(_) => {}
            Err(e) => tracing::error!("fin des offres : {e}"),
        },
        Ok(false) => {}
        Err(e) => tracing::error!("fin des offres : {e}"),
    }
    match store.claim_job_run("offer_checks", today).await {
        Ok(true) => match crate::offer_checks::daily(store, &s.base_url, now).await {
            Ok(r) if r.sent + r.paused > 0 => tracing::info!(
                "offres : {} question(s) « toujours d'actualité ? », {} mise(s) en pause",
                r.sent,
                r.paused
            ),
            Ok(_) => {}
            Err(e) => tracing::error!("suivi des offres : {e}"),
        },
        Ok(false) => {}
        Err(e) => tracing::error!("suivi des offres : {e}"),
    }
    match store.claim_job_run("introductions", today).await {
        Ok(true) => match crate::introductions::daily(store, &s.base_url, now).await {
            Ok((r, e, f)) if r + e + f > 0 => {
                tracing::info!("mises en relation : {r} rappel(s), {e} expirée(s), {f} suivi(s)")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(
                "mises en relation : {}",
                dklik_domain::privacy::redact(&e.to_string())
            ),
        },
        Ok(false) => {}
        Err(e) => tracing::error!(
            "mises en relation : {}",
            dklik_domain::privacy::redact(&e.to_string())
        ),
    }
    match store.claim_job_run("screen_health", today).await {
        Ok(true) => {
            let silent = match store.load_gtfs().await {
                Ok(feed) => crate::screen_health::daily(store, &feed, now).await,
                Err(e) => Err(e),
            };
            match silent {
                Ok(n) if n > 0 => tracing::info!("écrans : {n} écran(s) silencieux signalé(s)"),
                Ok(_) => {}
                Err(e) => tracing::error!("santé des écrans : {e}"),
            }
        }
        Ok(false) => {}
        Err(e) => tracing::error!("santé des écrans : {e}"),
    }
    match store.claim_job_run("retention", today).await {
        Ok(true) => match crate::privacy::retention_job(store, s.retention_months, now).await {
            Ok(n) if n > 0 => tracing::info!("rétention : {n} personne(s) anonymisée(s)"),
            Ok(_) => {}
            Err(e) => tracing::error!(
                "rétention : {}",
                dklik_domain::privacy::redact(&e.to_string())
            ),
        },
        Ok(false) => {}
        Err(e) => tracing::error!(
            "rétention : {}",
            dklik_domain::privacy::redact(&e.to_string())
        ),
    }
}
