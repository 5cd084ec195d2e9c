//! Email really goes through SMTP: a small SMTP server on loopback receives what the outbox
//! sends, and the password-reset link read from that message works.

use dklik_app::mail::{deliver_due, SmtpMailer};
use dklik_domain::Role;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A minimal SMTP server: accepts every message and hands over its DATA.
async fn smtp_server(listener: TcpListener, out: mpsc::UnboundedSender<(String, String)>) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        let out = out.clone();
        tokio::spawn(async move {
            let (r, mut w) = sock.into_split();
            let mut r = BufReader::new(r);
            let _ = w.write_all(b"220 test ESMTP\r\n").await;
            let mut rcpt = String::new();
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let cmd = line.trim_end().to_ascii_uppercase();
                if cmd.starts_with("EHLO") {
                    let _ = w.write_all(b"250-test\r\n250 8BITMIME\r\n").await;
                } else if cmd.starts_with("MAIL FROM") {
                    let _ = w.write_all(b"250 ok\r\n").await;
                } else if cmd.starts_with("RCPT TO") {
                    rcpt = line.trim_end()[8..]
                        .trim_matches(['<', '>', ' '])
                        .to_string();
                    let _ = w.write_all(b"250 ok\r\n").await;
                } else if cmd == "DATA" {
                    let _ = w.write_all(b"354 go\r\n").await;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        data.push_str(
                            line.strip_prefix('.')
                                .filter(|_| line.starts_with(".."))
                                .unwrap_or(&line),
                        );
                    }
                    let _ = out.send((rcpt.clone(), data));
                    let _ = w.write_all(b"250 queued\r\n").await;
                } else if cmd == "QUIT" {
                    let _ = w.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    let _ = w.write_all(b"500 ?\r\n").await;
                }
            }
        });
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    let t = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| t.contains(c)) {
        bits = (bits << 6) | t.iter().position(|x| *x == c).unwrap_or(0) as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_email_goes_through_smtp_and_its_link_works() {
    let db = dklik_store_tests::fresh_sqlite().await;
    let store = db.store.as_ref();
    dklik_app::auth::create_user(
        store,
        "camille@dklik.fr",
        "Camille",
        "une phrase de passe",
        Role::Advisor,
        None,
        1,
    )
    .await
    .expect("user");
    let now = 1_790_000_000;
    dklik_app::auth::request_password_reset(
        store,
        "camille@dklik.fr",
        "https://dklik.example",
        now,
    )
    .await
    .expect("request");
    // The mail server is down: nothing is lost, the message waits.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mailer = SmtpMailer {
        addr: format!("127.0.0.1:{port}"),
        from: "dklik@dklik.example".into(),
        helo: "dklik".into(),
    };
    let r = deliver_due(store, &mailer, now).await.expect("round");
    assert_eq!((r.sent, r.failed), (0, 1));
    assert!(store.outbox(1).await.expect("outbox")[0]
        .last_error
        .is_some());
    // The server comes back; after the retry delay the message goes through.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind again");
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(smtp_server(listener, tx));
    let r = deliver_due(store, &mailer, now + 61).await.expect("retry");
    assert_eq!((r.sent, r.failed), (1, 0));
    let (rcpt, data) = rx.recv().await.expect("a message arrived");
    assert_eq!(rcpt, "camille@dklik.fr");
    assert!(
        data.contains("Subject: DKLIK : choisir un nouveau mot de passe"),
        "{data}"
    );
    assert!(data.contains("Content-Transfer-Encoding: base64"));
    let body_b64 = data.split("\r\n\r\n").nth(1).expect("body");
    let body = String::from_utf8(decode_base64(body_b64)).expect("utf-8 body");
    assert!(body.contains("Bonjour Camille"), "{body}");
    let token = body
        .split("jeton=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("link in the message");
    dklik_app::auth::complete_password_reset(store, token, "nouvelle phrase de passe", now + 120)
        .await
        .expect("the link from the real message works");
    dklik_app::auth::login(
        store,
        "camille@dklik.fr",
        "nouvelle phrase de passe",
        "127.0.0.1",
        now + 130,
    )
    .await
    .expect("new password");
    assert!(
        deliver_due(store, &mailer, now + 10_000)
            .await
            .expect("round")
            .sent
            == 0,
        "sent once"
    );
}
