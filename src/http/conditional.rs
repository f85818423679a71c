//! Answering GET and HEAD for a rendered document: content coding, validators and 304s
//! (RFC 9110 §13): If-None-Match wins over If-Modified-Since, and the latter counts only when it
//! is a valid date.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::publish::rendered::{negotiate, Coding};
use crate::publish::Rendered;

/// The response to a GET (HEAD is the same without the body; the server drops it).
pub async fn respond(
    request: &HeaderMap,
    rendered: Arc<Rendered>,
    content_type: &'static str,
    cache_control: &HeaderValue,
) -> Response {
    match respond_now(
        request,
        coding_asked(request),
        &rendered,
        content_type,
        cache_control,
    ) {
        Ok(response) => response,
        Err(coding) => {
            // Compressing a large feed takes milliseconds of CPU: off the async workers.
            let for_task = rendered.clone();
            let bytes = tokio::task::spawn_blocking(move || for_task.bytes(coding))
                .await
                .unwrap_or_default();
            build(&rendered, coding, Some(bytes), content_type, cache_control)
        }
    }
}

/// The content coding the request's Accept-Encoding prefers among those served.
pub(super) fn coding_asked(request: &HeaderMap) -> Coding {
    negotiate(
        request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    )
}

/// `respond` when it needs no compression first: a 304, or a 200 whose form in `coding` (the
/// request's, from `coding_asked`) is already made. Otherwise the coding whose form is still
/// to make.
fn respond_now(
    request: &HeaderMap,
    coding: Coding,
    rendered: &Rendered,
    content_type: &'static str,
    cache_control: &HeaderValue,
) -> Result<Response, Coding> {
    if not_modified(request, rendered) {
        return Ok(not_modified_response(
            rendered,
            coding,
            content_type,
            cache_control,
        ));
    }
    full_now(rendered, coding, content_type, cache_control)
}

/// The 304 to a request whose copy is current (`not_modified`).
pub(super) fn not_modified_response(
    rendered: &Rendered,
    coding: Coding,
    content_type: &'static str,
    cache_control: &HeaderValue,
) -> Response {
    build(rendered, coding, None, content_type, cache_control)
}

/// The 200 in `coding` when that form is already made, else the coding to make.
pub(super) fn full_now(
    rendered: &Rendered,
    coding: Coding,
    content_type: &'static str,
    cache_control: &HeaderValue,
) -> Result<Response, Coding> {
    if !rendered.is_ready(coding) {
        return Err(coding);
    }
    let bytes = rendered.bytes(coding);
    Ok(build(
        rendered,
        coding,
        Some(bytes),
        content_type,
        cache_control,
    ))
}

/// A 200 of `body` in `coding`, or a 304 when there is no body.
fn build(
    rendered: &Rendered,
    mut coding: Coding,
    body: Option<Bytes>,
    content_type: &'static str,
    cache_control: &HeaderValue,
) -> Response {
    let body = body.map(|bytes| {
        if coding != Coding::Identity && bytes.is_empty() {
            // Compression failed: send the plain form, labelled as such.
            coding = Coding::Identity;
            rendered.bytes(coding)
        } else {
            bytes
        }
    });
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    if body.is_some() {
        // A 200's eight headers (with `X-Content-Type-Options`) at once: a map made for the
        // first insert holds six and would grow and rehash on the seventh.
        headers.reserve(8);
    }
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::ETAG, rendered.etag_header(coding));
    headers.insert(header::LAST_MODIFIED, rendered.last_modified_header());
    match body {
        None => *response.status_mut() = StatusCode::NOT_MODIFIED,
        Some(bytes) => {
            if let Some(encoding) = coding.header() {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            *response.body_mut() = Body::from(bytes);
        }
    }
    response
}

/// Whether the client's copy is current (If-None-Match, else If-Modified-Since).
pub(super) fn not_modified(request: &HeaderMap, rendered: &Rendered) -> bool {
    let mut inm = request.get_all(header::IF_NONE_MATCH).iter().peekable();
    if let Some(first) = inm.peek() {
        // What calendar clients send all day: one of this document's ETags, as it was given.
        if rendered.is_etag(first.as_bytes()) {
            return true;
        }
        return inm
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == "*" || rendered.matches(tag));
    }
    let since = request
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .map(DateTime::<Utc>::from);
    match since {
        // A date in the future is not a valid validator (RFC 9110 §13.1.3): ignore it.
        Some(since) if since <= Utc::now() => rendered.last_modified() <= since,
        _ => false,
    }
}
