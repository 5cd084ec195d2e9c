//! One log line per request: its id, method, route (the path pattern, never the address typed:
//! an address can carry a code or a name), status and time. The id is sent back in
//! `X-Request-Id`, so a person's report of a failure can be found in the logs.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// The route pattern that served a request, put in the answer's extensions by the guard.
#[derive(Debug, Clone, Copy)]
pub struct RouteName(pub &'static str);

fn request_id() -> String {
    dklik_app::auth::random_token()
        .map(|t| t[..16].to_string())
        .unwrap_or_else(|_| "sans-id".into())
}

/// Middleware: logs the request once answered.
pub async fn requests(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let id = request_id();
    let mut res = next.run(req).await;
    let route = res
        .extensions()
        .get::<RouteName>()
        .map(|r| r.0)
        .unwrap_or("(aucune)");
    let status = res.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(target: "dklik::requete", id = %id, method = %method, route, status, ms, "requête");
    } else {
        tracing::info!(target: "dklik::requete", id = %id, method = %method, route, status, ms, "requête");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}
