//! The connection loop: HTTP/1.1 with read deadlines, and a limit of open connections per
//! address, so that slow or greedy clients cannot hold the server and everyone else keeps
//! being answered.
//!
//! - Request headers must arrive within `header_timeout` (a connection that sends them a byte
//!   at a time is closed).
//! - A request body must arrive whole within `body_timeout` ([`body_deadline`]); after that the
//!   request is refused (408) and the connection closed.
//! - One address holds at most `per_address` connections at once; more are closed at once.
//!   Addresses of trusted reverse proxies are not limited (everyone comes through them; the
//!   proxy limits its own clients).

use crate::Cidr;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a client may take, and how many connections an address may hold.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// Time to send a request's whole body.
    pub body_timeout: Duration,
    /// Connections open at once from one address.
    pub per_address: usize,
    /// Addresses not limited (trusted reverse proxies).
    pub exempt: Vec<Cidr>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            per_address: 64,
            exempt: Vec::new(),
        }
    }
}

/// Open connections per address.
#[derive(Default)]
struct Open(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its address until dropped.
struct Slot {
    open: Arc<Open>,
    ip: IpAddr,
}

impl Open {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut m = self.0.lock().ok()?;
        let n = m.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut m) = self.open.0.lock() {
            if let Some(n) = m.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&self.ip);
                }
            }
        }
    }
}

/// A request body that fails once its deadline has passed.
struct Deadline {
    inner: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(f) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(f);
        }
        match std::future::Future::poll(self.sleep.as_mut(), cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(TooSlow)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The body did not arrive in time.
#[derive(Debug)]
struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("corps de requête trop lent")
    }
}

impl std::error::Error for TooSlow {}

/// Whether reading a body failed because it came too slowly ([`body_deadline`]).
pub(crate) fn too_slow(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<TooSlow>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Middleware: the request body must arrive within `timeout`; a handler reading it later gets
/// an error and the client a 408.
pub async fn body_deadline(
    timeout: Duration,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    if http_body::Body::is_end_stream(&body) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let body = Body::new(Deadline {
        inner: body,
        sleep: Box::pin(tokio::time::sleep(timeout)),
    });
    let started = tokio::time::Instant::now();
    let res = next.run(Request::from_parts(parts, body)).await;
    // A body refused for its slowness reads as a framework rejection (400): say 408 instead.
    if res.status() == axum::http::StatusCode::BAD_REQUEST && started.elapsed() >= timeout {
        let mut r = axum::http::StatusCode::REQUEST_TIMEOUT.into_response();
        r.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return r;
    }
    res
}

/// Serves `app` on `listener` with these limits until `shutdown` completes; then stops
/// accepting and gives open connections a few seconds to finish.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use tower::Service;
    let open = Arc::new(Open::default());
    // Connections refused for their address since the last warning, and when it was written:
    // under a flood the log gets one line every 10 seconds, not one per connection.
    let (mut refused, mut warned) = (0u64, None::<std::time::Instant>);
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, never stop serving.
                    tracing::warn!("accept : {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let exempt = limits.exempt.iter().any(|c| c.contains(peer.ip()));
        let slot = if exempt {
            None
        } else {
            match open.take(peer.ip(), limits.per_address) {
                Some(s) => Some(s),
                None => {
                    // The address itself is not logged (personal data kept to the minimum).
                    refused += 1;
                    if warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                        tracing::warn!(
                            refused,
                            "trop de connexions ouvertes depuis une même adresse : connexion(s) fermée(s)"
                        );
                        refused = 0;
                        warned = Some(std::time::Instant::now());
                    }
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(svc) = make.call(peer).await;
        let header_timeout = limits.header_timeout;
        tasks.spawn(async move {
            let _slot = slot;
            let io = hyper_util::rt::TokioIo::new(stream);
            let svc = hyper_util::service::TowerToHyperService::new(svc);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(io, svc);
            let _ = conn.await;
        });
        // Forget finished connections as we go.
        while tasks.try_join_next().is_some() {}
    }
    let grace = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(grace);
    loop {
        tokio::select! {
            _ = &mut grace => break,
            next = tasks.join_next() => if next.is_none() { break },
        }
    }
    Ok(())
}
