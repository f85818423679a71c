//! The short path for calendar clients. They ask every few minutes for feeds they hold; almost
//! always nothing has changed, and the answer is a 304 of a few headers (or, to a client that
//! sends no validator, the same bytes again). Such a request is answered here, before the
//! router and its layers, from what the last full answer to the same address left: the
//! rendering it served, valid for one store generation (and until the rendering ages out by
//! itself), as the render cache (`cache.rs`) holds it. A 200 is answered here only when the
//! form for the client's coding is already made.
//!
//! What this path leaves out, for the answers it gives only: the request id is echoed when the
//! client sent one but none is made up, and no tracing span is opened (no access log line, as
//! for every request below `debug`). Every answer is still counted in `/metrics`, under the
//! same route, method, status and coding as the full path counts it. Anything else (an address
//! not served yet, a write since, a watch on other instances' writes that is down, a form not
//! compressed yet, another method) goes the full way.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{conditional, AppState};
use crate::metrics::ShortPathCounters;
use crate::publish::rendered::negotiate;
use crate::publish::Rendered;

/// Addresses remembered at most; past it the table starts over (query strings are anyone's).
const MAX_ADDRESSES: usize = 512;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the last full answer to one address served.
struct Known {
    generation: u64,
    /// When the rendering changes by itself (a session ages out of the feed), if ever.
    expires: Option<DateTime<Utc>>,
    rendered: Arc<Rendered>,
    cache_control: HeaderValue,
    counters: ShortPathCounters,
}

/// Renderings by request address (path and query, as sent).
#[derive(Default)]
pub struct Revalidations {
    known: RwLock<HashMap<Box<str>, Known>>,
}

/// Where a rendering was served from, for the table and the metrics.
pub(super) struct Served<'a> {
    pub uri: &'a Uri,
    /// The route's pattern, as `/metrics` labels it.
    pub route: &'static str,
    /// The store generation read before the rendering was looked up or made.
    pub generation: u64,
    pub expires: Option<DateTime<Utc>>,
}

impl Revalidations {
    /// Remembers that `rendered` answered `served.uri` (a full answer of the calendar module).
    pub(super) fn learn(
        &self,
        state: &AppState,
        served: Served<'_>,
        rendered: &Arc<Rendered>,
        cache_control: &HeaderValue,
    ) {
        let Some(address) = served.uri.path_and_query().map(|p| p.as_str()) else {
            return;
        };
        if let Ok(known) = self.known.read() {
            if let Some(entry) = known.get(address) {
                if entry.generation == served.generation && Arc::ptr_eq(&entry.rendered, rendered) {
                    return;
                }
            }
        }
        let counters = state.metrics.short_path_counters(served.route, "calendar");
        if let Ok(mut known) = self.known.write() {
            if known.len() >= MAX_ADDRESSES && !known.contains_key(address) {
                known.clear();
            }
            known.insert(
                address.into(),
                Known {
                    generation: served.generation,
                    expires: served.expires,
                    rendered: rendered.clone(),
                    cache_control: cache_control.clone(),
                    counters,
                },
            );
        }
    }
}

/// The answer to `request` when the address was served before and its rendering is still
/// current: a 304 when the client's copy is, else a 200 of the form already made for its
/// coding. `None` sends the request through the router.
pub fn answer<B>(state: &AppState, request: &Request<B>) -> Option<Response> {
    let head = match *request.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return None,
    };
    let started = Instant::now();
    let changes = state.store.changes();
    if !changes.is_trusted() {
        return None;
    }
    let address = request.uri().path_and_query()?.as_str();
    let known = state.revalidations.known.read().ok()?;
    let entry = known.get(address)?;
    if entry.generation != changes.generation() || entry.expires.is_some_and(|at| Utc::now() >= at)
    {
        return None;
    }
    let headers = request.headers();
    // A form not compressed yet is made off the async workers, by the full path.
    let mut response = conditional::respond_now(
        headers,
        &entry.rendered,
        super::calendar::CONTENT_TYPE,
        &entry.cache_control,
    )
    .ok()?;
    // What `security::headers` and the request id layers add on the full path.
    let out = response.headers_mut();
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(id) = headers.get(REQUEST_ID) {
        out.insert(REQUEST_ID, id.clone());
    }
    let modified = response.status() != StatusCode::NOT_MODIFIED;
    let coding = negotiate(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    entry
        .counters
        .count(head, modified, coding.index(), started.elapsed());
    Some(response)
}
