//! Every route, declared once, in the module that serves it: method, path, who may call it,
//! handler. The router (`crate::router`), the access table the guard enforces
//! (`crate::access::table`) and the route × role test are all built from [`all`].

use crate::access::Who;
use crate::SharedState;
use axum::handler::Handler;
use axum::routing::MethodRouter;

/// One route.
pub struct Route {
    /// "GET" or "POST" (HEAD is served with GET).
    pub method: &'static str,
    /// axum's path, with `{name}` for a segment.
    pub path: &'static str,
    pub who: Who,
    pub(crate) handler: MethodRouter<SharedState>,
    /// Takes an operator's feed: its body may be as large as `AppState::max_feed_bytes`
    /// rather than a form's 64 KiB.
    pub(crate) feed: bool,
    /// Under `/api/`: what it reads and answers, for the OpenAPI document.
    pub(crate) doc: Option<crate::openapi::Op>,
}

impl Route {
    /// Describes an `/api/` operation (see `crate::openapi`).
    pub(crate) fn doc(mut self, op: crate::openapi::Op) -> Self {
        self.doc = Some(op);
        self
    }

    /// Marks a route that takes operators' feeds (large bodies).
    pub(crate) fn feed(mut self) -> Self {
        self.feed = true;
        self
    }
}

/// A GET route.
pub(crate) fn get<H, T>(path: &'static str, who: Who, handler: H) -> Route
where
    H: Handler<T, SharedState>,
    T: 'static,
{
    Route {
        method: "GET",
        path,
        who,
        handler: axum::routing::get(handler),
        feed: false,
        doc: None,
    }
}

/// A POST route.
pub(crate) fn post<H, T>(path: &'static str, who: Who, handler: H) -> Route
where
    H: Handler<T, SharedState>,
    T: 'static,
{
    Route {
        method: "POST",
        path,
        who,
        handler: axum::routing::post(handler),
        feed: false,
        doc: None,
    }
}

/// Every route of the site, module by module.
pub fn all() -> Vec<Route> {
    [
        crate::pages::routes(),
        crate::api::routes(),
        crate::account::routes(),
        crate::backoffice::routes(),
        crate::skills::routes(),
        crate::matching::routes(),
        crate::questionnaire::routes(),
        crate::orientation::routes(),
        crate::impact::routes(),
        crate::screen_settings::routes(),
        crate::screens::routes(),
        crate::screen_health::routes(),
        crate::display_report::routes(),
        crate::employers::routes(),
        crate::links::routes(),
        crate::places::routes(),
        crate::sms::routes(),
        crate::message_choice::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
