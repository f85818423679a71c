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
    let mut coding = negotiate(
        request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, cache_control.clone())
        .header(header::VARY, HeaderValue::from_static("Accept-Encoding"))
        .header(header::ETAG, rendered.etag_header(coding))
        .header(header::LAST_MODIFIED, rendered.last_modified_header());
    if not_modified(request, &rendered) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    let mut bytes = if rendered.is_ready(coding) {
        rendered.bytes(coding)
    } else {
        // Compressing a large feed takes milliseconds of CPU: off the async workers.
        let for_task = rendered.clone();
        match tokio::task::spawn_blocking(move || for_task.bytes(coding)).await {
            Ok(bytes) => bytes,
            Err(_) => Bytes::new(),
        }
    };
    if coding != Coding::Identity && bytes.is_empty() {
        // Compression failed: send the plain form, labelled as such.
        coding = Coding::Identity;
        bytes = rendered.bytes(coding);
        if let Some(headers) = builder.headers_mut() {
            headers.insert(header::ETAG, rendered.etag_header(coding));
        }
    }
    if let Some(encoding) = coding.header() {
        builder = builder.header(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    builder
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from(bytes))
        .unwrap_or_default()
}

/// Whether the client's copy is current (If-None-Match, else If-Modified-Since).
pub(super) fn not_modified(request: &HeaderMap, rendered: &Rendered) -> bool {
    let mut inm = request.get_all(header::IF_NONE_MATCH).iter().peekable();
    if inm.peek().is_some() {
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
