//! The YAML front matter of an Eleventy post, read with yaml-rust2.

use yaml_rust2::{Yaml, YamlLoader};

/// The front matter's keys, and the Markdown after it.
#[derive(Debug, Clone)]
pub struct Post {
    front: Yaml,
    pub body: String,
}

impl Post {
    /// Splits `---` front matter from the body. A file without front matter is all body; front
    /// matter that is not YAML is an error naming the line.
    pub fn parse(text: &str) -> Result<Post, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Some(rest) = text
            .strip_prefix("---\n")
            .or_else(|| text.strip_prefix("---\r\n"))
        else {
            return Ok(Post {
                front: Yaml::Hash(Default::default()),
                body: text.to_string(),
            });
        };
        let (yaml, body) = match find_closing(rest) {
            Some((end, body_start)) => (&rest[..end], &rest[body_start..]),
            None => return Err("the front matter opened by --- is never closed".into()),
        };
        let docs = YamlLoader::load_from_str(yaml).map_err(|e| {
            format!(
                "the front matter is not valid YAML (line {}): {}",
                e.marker().line() + 1,
                e.info()
            )
        })?;
        let front = docs
            .into_iter()
            .next()
            .unwrap_or(Yaml::Hash(Default::default()));
        if !matches!(front, Yaml::Hash(_)) {
            return Err("the front matter is not a list of keys".into());
        }
        Ok(Post {
            front,
            body: body.to_string(),
        })
    }

    fn value(&self, path: &str) -> &Yaml {
        path.split('.').fold(&self.front, |node, key| &node[key])
    }

    /// A text value (numbers and dates as written); `None` when absent or empty.
    pub fn text(&self, path: &str) -> Option<String> {
        scalar(self.value(path))
    }

    /// A list of texts, from a YAML list, a `["a", "b"]` string or a single value.
    pub fn list(&self, path: &str) -> Vec<String> {
        match self.value(path) {
            Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
            other => scalar(other).into_iter().collect(),
        }
    }

    /// A value as JSON (mappings with text keys, lists, texts, numbers, booleans, null).
    pub fn json(&self, path: &str) -> Option<serde_json::Value> {
        match self.value(path) {
            Yaml::BadValue => None,
            node => to_json(node),
        }
    }

    pub fn has(&self, path: &str) -> bool {
        !matches!(self.value(path), Yaml::BadValue | Yaml::Null)
    }
}

fn scalar(node: &Yaml) -> Option<String> {
    let text = match node {
        Yaml::String(s) | Yaml::Real(s) => s.trim().to_string(),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn to_json(node: &Yaml) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match node {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(n) => Value::from(*n),
        Yaml::Real(text) => Value::from(text.parse::<f64>().ok()?),
        Yaml::String(text) => Value::String(text.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Some((k.as_str()?.to_string(), to_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        Yaml::Alias(_) | Yaml::BadValue => return None,
    })
}

/// The end of the YAML and the start of the body: the next line that is exactly `---`.
fn find_closing(rest: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            return Some((offset, offset + line.len()));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lists_and_nested_values() {
        let post = Post::parse(
            "---\ntitle: \"Épisode #3 : l'été\"\ndate: 2022-06-02\ntags: [\"video\", 'Formation']\nimage:\n    path: ./x.webp\n    alt: \"\"\nepisode: 3\n---\n\nCorps\n",
        )
        .expect("valid");
        assert_eq!(post.text("title").as_deref(), Some("Épisode #3 : l'été"));
        assert_eq!(post.text("date").as_deref(), Some("2022-06-02"));
        assert_eq!(post.list("tags"), ["video", "Formation"]);
        assert_eq!(post.text("image.path").as_deref(), Some("./x.webp"));
        assert_eq!(post.text("image.alt"), None);
        assert_eq!(post.text("episode").as_deref(), Some("3"));
        assert_eq!(post.text("missing"), None);
        assert_eq!(post.body, "\nCorps\n");
    }

    #[test]
    fn no_front_matter_and_broken_front_matter() {
        assert_eq!(Post::parse("# Titre\n").expect("plain").body, "# Titre\n");
        let error = Post::parse("---\ntitle: [unclosed\n---\n").expect_err("bad YAML");
        assert!(error.contains("not valid YAML"), "{error}");
        let error = Post::parse("---\ntitle: x\n").expect_err("unclosed");
        assert!(error.contains("never closed"), "{error}");
    }
}
