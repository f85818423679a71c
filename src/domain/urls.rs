//! The public addresses of the service — pages, calendar files, feeds, subscription links — in one
//! place, so pages, feeds, mail and the API cannot disagree on where a session lives.
//!
//! Built over the public base URL (`http.base_url`), or over nothing for site-relative paths (what
//! the static export requests and the page cache is keyed by). The routes in `http` serve these
//! same paths; a change here goes with a change there.

/// The addresses in every page's header and footer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SiteLinks {
    pub home: String,
    pub archives: String,
    pub calendar: String,
    pub atom_feed: String,
    /// The subscribe form of this service (pages link to `export.subscribe_url` instead where
    /// it is set).
    pub subscribe: String,
}

/// Public addresses under one base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicUrls<'a> {
    /// No trailing slash; empty for site-relative paths.
    base: &'a str,
}

impl<'a> PublicUrls<'a> {
    /// Addresses under `base_url`, with or without its trailing slash.
    pub fn new(base_url: &'a str) -> PublicUrls<'a> {
        PublicUrls {
            base: base_url.trim_end_matches('/'),
        }
    }

    /// Site-relative paths (`/events/{slug}`), as the router sees them.
    pub fn paths() -> PublicUrls<'static> {
        PublicUrls { base: "" }
    }

    /// The agenda, the site's home page.
    pub fn home(&self) -> String {
        format!("{}/", self.base)
    }

    /// A session's or a video's page.
    pub fn event_page(&self, slug: &str) -> String {
        format!("{}/events/{slug}", self.base)
    }

    /// A session's own iCalendar file.
    pub fn event_ics(&self, slug: &str) -> String {
        format!("{}/events/{slug}.ics", self.base)
    }

    /// The main iCalendar feed, every published session.
    pub fn calendar(&self) -> String {
        format!("{}/calendar.ics", self.base)
    }

    /// A file of the pages' own (the stylesheet, fonts), by its content-hashed name.
    pub fn asset(&self, file: &str) -> String {
        format!("{}/assets/{file}", self.base)
    }

    /// Past sessions and videos.
    pub fn archives(&self) -> String {
        format!("{}/archives", self.base)
    }

    /// The addresses every page links to, as the page templates read them (`urls.home`, …).
    pub fn site(&self) -> SiteLinks {
        SiteLinks {
            home: self.home(),
            archives: self.archives(),
            calendar: self.calendar(),
            atom_feed: self.atom_feed(),
            subscribe: self.subscribe(),
        }
    }

    /// The sessions of a tag. The tag is percent-encoded as one path segment (a space as
    /// `%20`), as minijinja's `urlencode` wrote it in the templates before.
    pub fn tag_page(&self, tag: &str) -> String {
        let segment = url::form_urlencoded::byte_serialize(tag.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        format!("{}/tags/{segment}", self.base)
    }

    /// A series' page.
    pub fn series_page(&self, slug: &str) -> String {
        format!("{}/series/{slug}", self.base)
    }

    /// A series' iCalendar feed.
    pub fn series_calendar(&self, slug: &str) -> String {
        format!("{}/series/{slug}/calendar.ics", self.base)
    }

    /// The Atom news feed of sessions and videos.
    pub fn atom_feed(&self) -> String {
        format!("{}/actualites.atom", self.base)
    }

    /// The subscribe form.
    pub fn subscribe(&self) -> String {
        format!("{}/abonnement", self.base)
    }

    /// The link a confirmation mail carries.
    pub fn confirm(&self, secret: &str) -> String {
        format!("{}/abonnement/confirmer/{secret}", self.base)
    }

    /// The one-click unsubscribe link of a subscription.
    pub fn unsubscribe(&self, key: &str) -> String {
        format!("{}/desabonnement/{key}", self.base)
    }

    /// Where a session's registration form posts (its page holds the form).
    pub fn register(&self, slug: &str) -> String {
        format!("{}/events/{slug}/inscription", self.base)
    }

    /// The registration form on a session's page.
    pub fn register_anchor(&self, slug: &str) -> String {
        format!("{}/events/{slug}#inscription", self.base)
    }

    /// The link a registration's confirmation mail carries.
    pub fn confirm_registration(&self, secret: &str) -> String {
        format!("{}/inscription/confirmer/{secret}", self.base)
    }

    /// A registrant's own page: where they stand, and the button to cancel (also the one-click
    /// target of their mail).
    pub fn registration(&self, key: &str) -> String {
        format!("{}/inscription/{key}", self.base)
    }

    /// A registrant's personal calendar: the session with its join link, for them only.
    pub fn registration_calendar(&self, key: &str) -> String {
        format!("{}/inscription/{key}/agenda.ics", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_under_the_base() {
        let urls = PublicUrls::new("https://agenda.example.org");
        let cases = [
            (urls.home(), "https://agenda.example.org/"),
            (
                urls.event_page("atelier"),
                "https://agenda.example.org/events/atelier",
            ),
            (
                urls.event_ics("atelier"),
                "https://agenda.example.org/events/atelier.ics",
            ),
            (urls.calendar(), "https://agenda.example.org/calendar.ics"),
            (urls.archives(), "https://agenda.example.org/archives"),
            (
                urls.tag_page("sobriété numérique/IA"),
                "https://agenda.example.org/tags/sobri%C3%A9t%C3%A9%20num%C3%A9rique%2FIA",
            ),
            (
                urls.series_page("numerique"),
                "https://agenda.example.org/series/numerique",
            ),
            (
                urls.series_calendar("numerique"),
                "https://agenda.example.org/series/numerique/calendar.ics",
            ),
            (
                urls.atom_feed(),
                "https://agenda.example.org/actualites.atom",
            ),
            (urls.subscribe(), "https://agenda.example.org/abonnement"),
            (
                urls.confirm("s3cr3t"),
                "https://agenda.example.org/abonnement/confirmer/s3cr3t",
            ),
            (
                urls.unsubscribe("k3y"),
                "https://agenda.example.org/desabonnement/k3y",
            ),
        ];
        for (built, expected) in cases {
            assert_eq!(built, expected);
        }
    }

    #[test]
    fn a_trailing_slash_is_not_doubled() {
        for base in [
            "https://agenda.example.org",
            "https://agenda.example.org/",
            "https://agenda.example.org//",
        ] {
            let urls = PublicUrls::new(base);
            assert_eq!(urls.home(), "https://agenda.example.org/");
            assert_eq!(urls.event_page("a"), "https://agenda.example.org/events/a");
        }
        // Under a path, as behind a reverse proxy.
        assert_eq!(
            PublicUrls::new("https://example.org/agenda/").calendar(),
            "https://example.org/agenda/calendar.ics"
        );
    }

    #[test]
    fn paths_are_what_the_router_serves() {
        let paths = PublicUrls::paths();
        assert_eq!(paths.home(), "/");
        assert_eq!(paths.event_page("a"), "/events/a");
        assert_eq!(paths.event_ics("a"), "/events/a.ics");
        assert_eq!(paths.calendar(), "/calendar.ics");
        assert_eq!(paths.series_page("s"), "/series/s");
        assert_eq!(paths.series_calendar("s"), "/series/s/calendar.ics");
        assert_eq!(paths.atom_feed(), "/actualites.atom");
        assert_eq!(PublicUrls::new(""), paths);
    }
}
