//! Slow and greedy clients against the real connection loop: 500 connections that never
//! finish their headers, a body sent too slowly; everyone else keeps being answered.

mod common;

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection from a given loopback address (the whole 127/8 is the loopback).
async fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::from((from, 0)))?;
    s.connect(to).await
}

/// Reads until the server closes or `wait` passes; the text read, and whether it closed.
async fn read_until_closed(s: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into(), false),
        }
    }
}

/// A plain request from `from`; the status line of the answer.
async fn status_line(from: [u8; 4], to: SocketAddr, path: &str) -> String {
    let mut s = connect_from(from, to).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let (text, _) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    text.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_the_server() {
    let app = common::app().await;
    let state = dklik_web::AppState::new(app.store.clone(), "http://t", 24, app.screens.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let limits = dklik_web::server::Limits {
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(2),
        per_address: 64,
        exempt: vec![],
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dklik_web::serve_with(state, listener, limits, async {
        let _ = stopped.await;
    }));

    // 500 connections from one address that send half their headers and then nothing.
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut s = connect_from([127, 0, 0, 2], addr).await.expect("connect");
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await;
        slow.push(s);
    }
    // Someone else is answered meanwhile.
    assert_eq!(
        status_line([127, 0, 0, 3], addr, "/healthz").await,
        "HTTP/1.1 200 OK"
    );
    // Past 64 at once the address's connections were closed at once.
    let mut closed_at_once = 0;
    for s in slow.iter_mut() {
        if read_until_closed(s, Duration::from_millis(20)).await.1 {
            closed_at_once += 1;
        }
    }
    assert!(closed_at_once >= 500 - 64, "{closed_at_once} closed");
    // The 64 let in are closed once the header time is over.
    let mut closed_later = 0;
    for s in slow.iter_mut() {
        if read_until_closed(s, Duration::from_secs(8)).await.1 {
            closed_later += 1;
        }
    }
    assert_eq!(closed_later, 500, "every slow connection ends");

    // A body sent too slowly: refused with 408, the connection freed.
    let code = app
        .store
        .list_offers(&dklik_domain::OfferFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .expect("offers")
        .offers[0]
        .code
        .to_string();
    let mut s = connect_from([127, 0, 0, 4], addr).await.expect("connect");
    s.write_all(
        format!(
            "POST /offres/{code}/interet HTTP/1.1\r\nHost: t\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nprenom=Lu"
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    let (text, closed) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("Temps dépassé"), "{text}");
    assert!(closed);
    // And the server still answers.
    assert_eq!(
        status_line([127, 0, 0, 5], addr, "/healthz").await,
        "HTTP/1.1 200 OK"
    );
    let _ = stop.send(());
    server.await.expect("join").expect("served");
}
