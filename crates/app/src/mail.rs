//! Outgoing email. Every message goes through the outbox table first, so nothing is lost when
//! the mail server is down: a sender job delivers due messages and retries failures with a
//! growing delay (1 min, 5 min, 30 min, 2 h, then every 6 h, for 3 days).

use crate::store::{OutboxMessage, Store, StoreError};
use async_trait::async_trait;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Delivers one message or says why not.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one e-mail.
    async fn send(&self, m: &OutboxMessage) -> Result<(), String>;
}

/// The demo's mailer: each message becomes a `.eml` file in a folder.
pub struct FolderMailer {
    /// The folder the e-mails are written to.
    pub dir: PathBuf,
    /// The sender's address.
    pub from: String,
}

#[async_trait]
impl Mailer for FolderMailer {
    async fn send(&self, m: &OutboxMessage) -> Result<(), String> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| format!("dossier {} : {e}", self.dir.display()))?;
        let path = self.dir.join(format!("{:06}.eml", m.id));
        tokio::fs::write(&path, render_message(&self.from, m))
            .await
            .map_err(|e| format!("écriture {} : {e}", path.display()))
    }
}

/// Plain SMTP (RFC 5321) to a relay: `EHLO`, `MAIL FROM`, `RCPT TO`, `DATA`, `QUIT`. Meant for
/// a relay on the same host or network (the relay handles TLS and authentication towards the
/// outside).
pub struct SmtpMailer {
    /// host:port
    pub addr: String,
    /// The sender's address.
    pub from: String,
    /// The name given in HELO.
    pub helo: String,
}

fn header_safe(s: &str) -> String {
    s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// RFC 2047 encoded-word for a non-ASCII header value.
fn encode_header(s: &str) -> String {
    if s.is_ascii() {
        return header_safe(s);
    }
    let b64 = base64(header_safe(s).as_bytes());
    format!("=?UTF-8?B?{b64}?=")
}

pub(crate) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The message as sent: headers, a blank line, the body with CRLF line ends, base64 encoded.
pub fn render_message(from: &str, m: &OutboxMessage) -> String {
    let body = base64(
        m.body
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .as_bytes(),
    );
    let mut wrapped = String::new();
    for (i, c) in body.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            wrapped.push_str("\r\n");
        }
        wrapped.push(c);
    }
    format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <dklik-{}@dklik>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        header_safe(from),
        header_safe(&m.to),
        encode_header(&m.subject),
        m.id,
        wrapped
    )
}

async fn expect(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    code: &str,
) -> Result<(), String> {
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(30), reader.read_line(&mut line))
            .await
            .map_err(|_| "le serveur SMTP ne répond pas".to_string())?
            .map_err(|e| format!("lecture SMTP : {e}"))?;
        if n == 0 {
            return Err("le serveur SMTP a fermé la connexion".into());
        }
        if !line.starts_with(code) {
            return Err(format!("réponse SMTP inattendue : {}", line.trim_end()));
        }
        // "250-..." continues, "250 ..." ends.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

/// Sends one command and waits for the expected reply code.
async fn say(
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &str,
    code: &str,
) -> Result<(), String> {
    w.write_all(line.as_bytes())
        .await
        .map_err(|e| format!("écriture SMTP : {e}"))?;
    expect(r, code).await
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, m: &OutboxMessage) -> Result<(), String> {
        let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&self.addr))
            .await
            .map_err(|_| format!("connexion SMTP à {} trop lente", self.addr))?
            .map_err(|e| format!("connexion SMTP à {} : {e}", self.addr))?;
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        expect(&mut r, "220").await?;
        say(
            &mut w,
            &mut r,
            &format!("EHLO {}\r\n", header_safe(&self.helo)),
            "250",
        )
        .await?;
        say(
            &mut w,
            &mut r,
            &format!("MAIL FROM:<{}>\r\n", header_safe(&self.from)),
            "250",
        )
        .await?;
        say(
            &mut w,
            &mut r,
            &format!("RCPT TO:<{}>\r\n", header_safe(&m.to)),
            "250",
        )
        .await?;
        say(&mut w, &mut r, "DATA\r\n", "354").await?;
        // Dot-stuffing: a line starting with "." gets another one.
        let data = render_message(&self.from, m).replace("\r\n.", "\r\n..");
        say(&mut w, &mut r, &format!("{data}.\r\n"), "250").await?;
        let _ = say(&mut w, &mut r, "QUIT\r\n", "221").await;
        Ok(())
    }
}

/// Seconds before the next attempt after `attempts` failures; None when it is time to give up.
pub fn retry_delay(attempts: i64) -> Option<i64> {
    match attempts {
        0 | 1 => Some(60),
        2 => Some(5 * 60),
        3 => Some(30 * 60),
        4 => Some(2 * 3600),
        5..=16 => Some(6 * 3600),
        _ => None,
    }
}

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// E-mails sent.
    pub sent: u32,
    /// E-mails that failed.
    pub failed: u32,
}

/// Sends the messages that are due. A message that keeps failing is given up after 3 days (its
/// error stays in the outbox for an admin to see).
pub async fn deliver_due(
    store: &dyn Store,
    mailer: &dyn Mailer,
    now: i64,
) -> Result<DeliveryReport, StoreError> {
    let mut report = DeliveryReport::default();
    for m in store.due_mails(now, 100).await? {
        match mailer.send(&m).await {
            Ok(()) => {
                store.mail_sent(m.id, now).await?;
                report.sent += 1;
            }
            Err(e) => {
                let next = retry_delay(m.attempts + 1)
                    .map(|d| now + d)
                    .unwrap_or(i64::MAX);
                store.mail_failed(m.id, &e, next).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64("é".as_bytes()), "w6k=");
    }

    #[test]
    fn headers_cannot_be_injected() {
        let m = OutboxMessage {
            id: 1,
            to: "a@b.fr\r\nBcc: x@y.fr".into(),
            subject: "Salut".into(),
            body: "x".into(),
            attempts: 0,
            sent_at: None,
            last_error: None,
        };
        let s = render_message("dklik@exemple.fr", &m);
        assert!(!s.contains("\r\nBcc:"));
    }

    #[test]
    fn backoff_grows_then_stops() {
        assert_eq!(retry_delay(1), Some(60));
        assert!(retry_delay(4) > retry_delay(3));
        assert_eq!(retry_delay(30), None);
    }
}
