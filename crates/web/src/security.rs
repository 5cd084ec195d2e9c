//! Security headers on every answer.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// No inline script, nothing from another host, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

/// Bus screen pages may be embedded by the signage players' own pages; nothing else may.
pub const SCREEN_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors *; object-src 'none'";

/// The usual policy, with images also allowed from `origin` (map tiles).
pub fn csp_with_images_from(origin: &str) -> String {
    CSP.replace(
        "img-src 'self' data:;",
        &format!("img-src 'self' data: {origin};"),
    )
}

pub async fn headers(req: Request, next: Next) -> Response {
    let screen = req.uri().path().starts_with("/ecran/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if screen {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SCREEN_CSP),
        );
    } else {
        // A page may widen its own policy (the agenda's map tiles, when configured).
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
        }
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}
