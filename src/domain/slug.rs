//! Slugs: lowercase ASCII words joined by hyphens, derived from French titles.

/// Longest slug we derive; explicit slugs may not exceed it either.
pub const MAX_SLUG_LEN: usize = 100;

/// `Épisode #12 : Numérique, auditer` → `episode-12-numerique-auditer`, cut at a word boundary.
/// Never empty: a title with no letters or digits gives `fallback`.
pub fn slugify(title: &str, fallback: &str) -> String {
    // Symbols and emoji carry no words: drop them before transliterating, or 🎉 becomes "tada".
    let words: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let full = slug::slugify(words);
    let mut cut = String::with_capacity(full.len().min(MAX_SLUG_LEN));
    for word in full.split('-').filter(|w| !w.is_empty()) {
        let extra = if cut.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if cut.len() + extra > MAX_SLUG_LEN {
            if cut.is_empty() {
                cut.push_str(&word[..MAX_SLUG_LEN]);
            }
            break;
        }
        if !cut.is_empty() {
            cut.push('-');
        }
        cut.push_str(word);
    }
    if cut.is_empty() {
        fallback.to_string()
    } else {
        cut
    }
}

/// Checks a slug written by an organiser.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let well_formed = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "must be lowercase letters and digits separated by single hyphens, at most \
             {MAX_SLUG_LEN} characters (e.g. episode-12-numerique)"
        ))
    }
}

/// `base`, or `base-2`, `base-3`… : the first candidate `taken` refuses not.
pub fn candidates(base: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(base.to_string()).chain((2..).map(move |n| {
        let suffix = format!("-{n}");
        let keep = base.len().min(MAX_SLUG_LEN - suffix.len());
        format!("{}{suffix}", base[..keep].trim_end_matches('-'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_titles() {
        let cases = [
            (
                "Épisode #12 : Numérique, auditer et mesurer pour mieux réduire son impact",
                "episode-12-numerique-auditer-et-mesurer-pour-mieux-reduire-son-impact",
            ),
            (
                "Webinaire « Sobriété » — ça démarre !",
                "webinaire-sobriete-ca-demarre",
            ),
            (
                "L'écoconception des services numériques",
                "l-ecoconception-des-services-numeriques",
            ),
            ("🎉🎉", "session"),
            ("   ", "session"),
        ];
        for (title, expected) in cases {
            assert_eq!(slugify(title, "session"), expected, "{title}");
        }
    }

    #[test]
    fn long_titles_are_cut_between_words() {
        let title = "mot ".repeat(80);
        let slug = slugify(&title, "session");
        assert!(slug.len() <= MAX_SLUG_LEN);
        assert!(!slug.ends_with('-'));
        assert!(check_slug(&slug).is_ok());
        let one_word = "a".repeat(300);
        assert_eq!(slugify(&one_word, "session").len(), MAX_SLUG_LEN);
    }

    #[test]
    fn explicit_slugs_are_checked() {
        assert!(check_slug("episode-12").is_ok());
        for bad in [
            "",
            "Episode",
            "a--b",
            "-a",
            "a-",
            "é",
            "a b",
            &"a".repeat(101),
        ] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn candidates_count_up() {
        let got: Vec<_> = candidates("webinaire").take(3).collect();
        assert_eq!(got, ["webinaire", "webinaire-2", "webinaire-3"]);
        let long = "a".repeat(MAX_SLUG_LEN);
        let second = candidates(&long).nth(1).unwrap();
        assert!(second.len() <= MAX_SLUG_LEN && second.ends_with("-2"));
    }

    proptest::proptest! {
        #[test]
        fn derived_slugs_are_always_valid(title in "\\PC{0,400}") {
            let slug = slugify(&title, "session");
            proptest::prop_assert!(check_slug(&slug).is_ok(), "{:?} -> {:?}", title, slug);
        }
    }
}
