//! The security headers of every answer: `X-Content-Type-Options: nosniff` everywhere (feeds
//! and JSON too), and on HTML pages a Content-Security-Policy without `unsafe-inline` for
//! scripts — the video facade's one script is allowed by its hash — that loads nothing from
//! another host but the team's site's images and, after the visitor's click, the video
//! player's frame; no framing by other sites; a referrer policy. The console sets its own
//! stricter policy (`admin::CONTENT_SECURITY_POLICY`), which is kept.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::AppState;

/// The video facade: a click on the link to the host's page puts the player in its place (the
/// host is asked nothing before). Rendered inline in `pages/event.html` as `facade_script`.
pub const VIDEO_FACADE: &str = r#"
document.querySelectorAll('.video[data-embed]').forEach(function (box) {
  var link = box.querySelector('a');
  if (!box.dataset.embed || !link) return;
  link.addEventListener('click', function (e) {
    e.preventDefault();
    var frame = document.createElement('iframe');
    frame.src = box.dataset.embed;
    frame.title = link.textContent.replace('▶ ', '');
    frame.allow = 'autoplay; fullscreen';
    frame.allowFullscreen = true;
    box.replaceChildren(frame);
    frame.focus();
  });
});
"#;

/// The CSP source of an inline script: `'sha256-…'` of its exact text.
pub fn script_hash(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The public pages' policy. `own` is this service's origin as configured (pages name their
/// stylesheet by it); `content` the team's site's, whose images bodies may show.
pub fn page_policy(own: Option<&str>, content: Option<&str>) -> String {
    let with = |base: &str| {
        let mut sources = base.to_string();
        for origin in [own, content].into_iter().flatten() {
            sources.push(' ');
            sources.push_str(origin);
        }
        sources
    };
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src {}; font-src {}; \
         frame-src https:; form-action {}; base-uri 'none'; frame-ancestors 'none'",
        script_hash(VIDEO_FACADE),
        with("'self'"),
        with("'self' data:"),
        with("'self'"),
        with("'self'"),
    )
}

/// What every answer carries, this layer's or the calendar short path's (`revalidate.rs`).
pub fn nosniff(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The headers, added to what handlers answered.
pub async fn headers(State(state): State<AppState>, mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    nosniff(headers);
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&state.page_policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_facade_by_hash_and_no_inline_script() {
        let policy = page_policy(
            Some("https://agenda.example.org"),
            Some("https://site.example.org"),
        );
        assert!(policy.contains(&format!("script-src {}", script_hash(VIDEO_FACADE))));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy
            .contains("img-src 'self' data: https://agenda.example.org https://site.example.org"));
        assert!(policy.contains("frame-ancestors 'none'"));
        // The hash is the one of the text: a changed script is refused.
        assert_ne!(
            script_hash(VIDEO_FACADE),
            script_hash(&VIDEO_FACADE.replace("focus", "blur"))
        );
        assert!(script_hash("").starts_with("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    }
}
