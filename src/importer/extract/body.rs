//! The body as the pages show it: comments and template tags out (the video and transcript they
//! carried kept), then the lines other fields now hold dropped.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::links::{video_url, BARE_URL};
use super::re;
use crate::importer::frontmatter::Post;

static COMMENT: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)<!--.*?-->"));
static VIDEO_SHORTCODE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\{%-?\s*(dailymotion|youtube|peertube)\s+["']([^"']+)["'][^%]*-?%\}"#));
static TRANSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?s)\{%-?\s*transcription(?:\s+["'][^"']*["'])?\s*-?%\}(.*?)\{%-?\s*endtranscription\s*-?%\}"#,
    )
});
static OTHER_TAG: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)\{%-?.*?-?%\}|\{\{.*?\}\}"));
static IFRAME: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?is)<iframe\s[^>]*?src\s*=\s*["']([^"']+)["']"#));

/// The body without comments and template tags, and the video found on the way.
pub(super) struct Cleaned {
    pub(super) body: String,
    /// From the front matter, a video shortcode or an embedded player.
    pub(super) video: Option<String>,
    /// The first link to a video page in the body.
    pub(super) linked_video: Option<String>,
}

/// The body without comments and template tags; the video and transcript they carried kept.
pub(super) fn clean(post: &Post, warnings: &mut Vec<String>) -> Cleaned {
    let mut video = post.text("embedVideoUrl").and_then(|u| video_url(&u));
    let mut body = COMMENT.replace_all(&post.body, "").into_owned();
    if let Some(c) = VIDEO_SHORTCODE.captures(&body) {
        let url = match &c[1] {
            "dailymotion" => format!("https://www.dailymotion.com/embed/video/{}", &c[2]),
            "youtube" => format!("https://www.youtube.com/watch?v={}", &c[2]),
            _ => c[2].to_string(),
        };
        video = video.or_else(|| video_url(&url));
    }
    body = VIDEO_SHORTCODE.replace_all(&body, "").into_owned();
    body = TRANSCRIPT
        .replace_all(&body, |c: &regex::Captures| {
            format!("\n## Transcription\n\n{}\n", c[1].trim())
        })
        .into_owned();
    for tag in OTHER_TAG.find_iter(&body) {
        warnings.push(format!(
            "template tag \u{ab} {} \u{bb} dropped",
            tag.as_str().chars().take(60).collect::<String>()
        ));
    }
    body = OTHER_TAG.replace_all(&body, "").into_owned();
    if video.is_none() {
        video = IFRAME.captures_iter(&body).find_map(|c| video_url(&c[1]));
    }
    // A link to a video page (dai.ly, a watch page) is the video of a video post; on a
    // session's post it is read like any link (a replay is its recording).
    let linked_video = BARE_URL
        .find_iter(&body)
        .find_map(|m| video_url(m.as_str()));
    Cleaned {
        body,
        video,
        linked_video,
    }
}

/// The `<div class="fr-highlight">` (or callout) block holding the date line once that line
/// is read into fields: the page shows the date, the join and the recording from them.
pub(super) fn practical_block(lines: &[&str], dropped: &BTreeSet<usize>) -> Option<Vec<usize>> {
    for (start, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if !(lower.contains("<div")
            && (lower.contains("fr-highlight") || lower.contains("fr-callout")))
        {
            continue;
        }
        let end =
            (start + 1..lines.len()).find(|&i| lines[i].trim_start().starts_with("</div>"))?;
        if (start..=end).any(|i| dropped.contains(&i)) {
            return Some((start..=end).collect());
        }
    }
    None
}

/// What is left of the body once `dropped` lines are taken out.
pub(super) fn remaining(lines: &[&str], dropped: &BTreeSet<usize>) -> String {
    tidy(
        &lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// No runs of blank lines, no blank start or end.
fn tidy(body: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in body.lines() {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line.trim_end());
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
