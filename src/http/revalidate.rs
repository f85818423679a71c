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
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{conditional, security, AppState};
use crate::metrics::ShortPathCounters;
use crate::publish::rendered::Coding;
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
    /// The headers of a 304 in each coding (by `Coding::index`), made once: a copy of a
    /// made map costs less than building one per answer.
    not_modified: [HeaderMap; 3],
    /// The headers of a 200 in each coding, made at the first 200 in it (once its form is
    /// made, its length is known).
    full: [OnceLock<HeaderMap>; 3],
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
        let not_modified = Coding::ALL.map(|coding| {
            let mut response = conditional::not_modified_response(
                rendered,
                coding,
                super::calendar::CONTENT_TYPE,
                cache_control,
            );
            security::nosniff(response.headers_mut());
            std::mem::take(response.headers_mut())
        });
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
                    not_modified,
                    full: Default::default(),
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
    let coding = conditional::coding_asked(headers);
    let modified = !conditional::not_modified(headers, &entry.rendered);
    let mut response = if modified {
        entry.full(coding)?
    } else {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.headers_mut() = entry.not_modified[coding.index()].clone();
        response
    };
    if let Some(id) = headers.get(REQUEST_ID) {
        response.headers_mut().insert(REQUEST_ID, id.clone());
    }
    entry
        .counters
        .count(head, modified, coding.index(), started.elapsed());
    Some(response)
}

impl Known {
    /// The 200 in `coding` if its form is made (a form not compressed yet is made off the
    /// async workers, by the full path).
    fn full(&self, coding: Coding) -> Option<Response> {
        let made = &self.full[coding.index()];
        if let Some(headers) = made.get() {
            let mut response = Response::new(Body::from(self.rendered.bytes(coding)));
            *response.headers_mut() = headers.clone();
            return Some(response);
        }
        let mut response = conditional::full_now(
            &self.rendered,
            coding,
            super::calendar::CONTENT_TYPE,
            &self.cache_control,
        )
        .ok()?;
        security::nosniff(response.headers_mut());
        // Kept only when the form is what was asked for (not the plain form sent in place of
        // a compression that failed), so that the headers match `bytes(coding)` above.
        let served = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(HeaderValue::as_bytes);
        if served == coding.header().map(str::as_bytes) {
            let _ = made.set(response.headers().clone());
        }
        Some(response)
    }
}
