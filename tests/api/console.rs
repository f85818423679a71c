//! The organiser console over real HTTP: accounts and their sessions, the synchroniser token,
//! the session form with its preview, publishing, moving and cancelling, on both backends.

use std::collections::BTreeMap;

use eventail::domain::account::NewAccount;
use eventail::domain::EventStatus;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{settings_for, spawn_app, spawn_app_with, Db, FreshDb, TestApp};
use crate::on_both_backends;

pub const PASSWORD: &str = "cheval agrafe pile correcte";

/// A browser as far as the console cares: its cookies, no automatic redirects.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The last synchroniser token a page carried.
    pub csrf: String,
    pub last_set_cookies: Vec<String>,
}

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub html: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// The value of the first `name="…" value="…"` input in `html`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&#x2f;", "/")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
            csrf: String::new(),
            last_set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn take(&mut self, response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.last_set_cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        for line in &self.last_set_cookies {
            let pair = line.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || line.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        let html = response.text().await.expect("body");
        if let Some(token) = input_value(&html, "_csrf") {
            self.csrf = token;
        }
        Answer {
            status,
            headers,
            html,
        }
    }

    /// The cookies held, to hand to another browser.
    pub fn cookies(&self) -> &BTreeMap<String, String> {
        &self.cookies
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.take(response).await
    }

    /// Posts `fields` with the current synchroniser token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("_csrf", &csrf));
        self.post_raw(path, &all, &[]).await
    }

    /// Posts exactly `fields`, with extra headers.
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("POST");
        self.take(response).await
    }

    /// Sets the password through the link and logs in.
    pub async fn log_in(&mut self, email: &str, link_secret: &str) {
        let path = format!("/admin/mot-de-passe/{link_secret}");
        let page = self.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.html);
        let set = self
            .post(&path, &[("password", PASSWORD), ("confirmation", PASSWORD)])
            .await;
        assert_eq!(set.status, 303, "{}", set.html);
        let form = self.get("/admin/connexion").await;
        assert_eq!(form.status, 200);
        let done = self
            .post(
                "/admin/connexion",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.html);
        assert_eq!(done.location(), "/admin");
        let home = self.get("/admin").await;
        assert_eq!(home.status, 200, "{}", home.html);
    }
}

/// An account on `app` (role "admin" or "organiser"), logged in.
pub async fn logged_in(app: &TestApp, email: &str, role: &str) -> Browser {
    let policy = settings_for(&app._db.url).console.policy();
    let new = NewAccount::parse(email, "Camille Martin", role).expect("account");
    let (_, secret) = app
        .store
        .create_account(&new, &policy)
        .await
        .expect("create");
    let mut browser = Browser::new(app);
    browser.log_in(email, &secret).await;
    browser
}

/// The session form's fields for a webinar on `date` from 09:00 to 10:00 in Paris.
pub fn webinar_form<'a>(status: &'a str, date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "webinar"),
        ("status", status),
        ("title", "Mesurer l'empreinte d'un service numérique"),
        ("summary", "Une heure pour apprendre à mesurer."),
        ("body", "Avec **des exemples** réels."),
        ("timezone", "Europe/Paris"),
        ("start_date", date),
        ("start_time", "09:00"),
        ("end_date", date),
        ("end_time", "10:00"),
        ("speaker_name", "Dominique Lefèvre"),
        ("speaker_role", "Experte RGESN"),
        ("speaker_organisation", "Mission numérique responsable"),
        ("speaker_name", ""),
        ("speaker_role", ""),
        ("speaker_organisation", ""),
        ("link_join", "https://visio.example.org/salle-42"),
        ("programme", "Accueil\nMesurer\nQuestions"),
        ("tags", "RGESN, mesure"),
        ("capacity", "50"),
        ("registration_required", "on"),
        ("default_reminders", "on"),
    ]
}

fn id_from(location: &str) -> String {
    location
        .trim_start_matches("/admin/sessions/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string()
}

async fn an_organiser_schedules_previews_publishes_moves_and_cancels(db: Db) {
    let app = spawn_app(db).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;

    // A draft: the preview sends nothing and stores nothing.
    let form = me.get("/admin/sessions/nouvelle").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("Nouvelle session"));
    let draft = webinar_form("draft", "2027-01-13");
    let preview = me.post("/admin/sessions/nouvelle/apercu", &draft).await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(
        preview.html.contains("Aucun courriel ne partira"),
        "{}",
        preview.html
    );
    assert_eq!(app.event_count().await, 0, "a preview stores nothing");
    let created = me.post("/admin/sessions/nouvelle", &draft).await;
    assert_eq!(created.status, 303, "{}", created.html);
    let id = id_from(created.location());
    let event = app.store.get_event(&id).await.expect("stored");
    assert_eq!(event.status, EventStatus::Draft);
    assert_eq!(event.speakers.len(), 1);
    assert_eq!(event.capacity, Some(50));

    // Publishing: the preview shows the page and the calendar entry, then saving publishes.
    let edit = me.get(&format!("/admin/sessions/{id}/modifier")).await;
    let version = input_value(&edit.html, "version").expect("version");
    let mut publish = webinar_form("scheduled", "2027-01-13");
    publish.push(("version", &version));
    let preview = me
        .post(&format!("/admin/sessions/{id}/apercu"), &publish)
        .await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(
        preview.html.contains("BEGIN:VEVENT"),
        "the .ics is previewed"
    );
    assert!(
        preview.html.contains("srcdoc="),
        "the public page is previewed"
    );
    assert_eq!(
        app.store.get_event(&id).await.expect("event").status,
        EventStatus::Draft,
        "a preview publishes nothing"
    );
    let saved = me.post(&format!("/admin/sessions/{id}"), &publish).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let event = app.store.get_event(&id).await.expect("event");
    assert_eq!(event.status, EventStatus::Scheduled);
    let sequence = event.sequence;

    // Moving it a week later: the preview names the changed field; saving bumps the sequence.
    let edit = me.get(&format!("/admin/sessions/{id}/modifier")).await;
    let version = input_value(&edit.html, "version").expect("version");
    let mut moved = webinar_form("scheduled", "2027-01-20");
    moved.push(("version", &version));
    let preview = me
        .post(&format!("/admin/sessions/{id}/apercu"), &moved)
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.html.contains("Champs modifiés"), "{}", preview.html);
    let saved = me.post(&format!("/admin/sessions/{id}"), &moved).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let event = app.store.get_event(&id).await.expect("event");
    assert!(event.sequence > sequence);
    let ics = app
        .client
        .get(format!("{}/events/{}.ics", app.address, event.slug))
        .send()
        .await
        .expect("ics")
        .text()
        .await
        .expect("ics body");
    assert!(
        ics.contains("DTSTART:20270120T080000Z"),
        "09:00 in Paris: {ics}"
    );

    // Cancelling with a reason.
    let reason = "L'intervenante est souffrante ; une nouvelle date sera annoncée.";
    let preview = me
        .post(
            &format!("/admin/sessions/{id}/annuler/apercu"),
            &[("reason", reason)],
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert_eq!(
        app.store.get_event(&id).await.expect("event").status,
        EventStatus::Scheduled
    );
    let cancelled = me
        .post(
            &format!("/admin/sessions/{id}/annuler"),
            &[("reason", reason)],
        )
        .await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.html);
    let event = app.store.get_event(&id).await.expect("event");
    assert_eq!(event.status, EventStatus::Cancelled);
    assert_eq!(event.cancel_reason.as_deref(), Some(reason));

    // Every write names its author: the session's history and the audit log.
    let history = app.store.event_history(&id).await.expect("history");
    assert!(history.len() >= 4, "{history:?}");
    assert!(
        history.iter().all(|h| h
            .actor
            .as_deref()
            .is_some_and(|a| a.contains("camille@example.org"))),
        "{history:?}"
    );
    let audit = app.store.audit_log(50).await.expect("audit");
    assert!(audit
        .iter()
        .any(|a| a.path == format!("/admin/sessions/{id}/annuler")
            && a.actor.contains("camille@example.org")));
    assert!(
        !audit.iter().any(|a| a.path.ends_with("/apercu")),
        "previews change nothing and are not audited"
    );
}

async fn a_post_without_the_token_or_from_elsewhere_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;
    let draft = webinar_form("draft", "2027-01-13");
    let without = me.post_raw("/admin/sessions/nouvelle", &draft, &[]).await;
    assert_eq!(without.status, 403);
    assert!(without.html.contains("pas été faite"), "{}", without.html);
    let mut wrong = draft.clone();
    wrong.push(("_csrf", "0000"));
    assert_eq!(
        me.post_raw("/admin/sessions/nouvelle", &wrong, &[])
            .await
            .status,
        403
    );
    let mut good = draft.clone();
    let csrf = me.csrf.clone();
    good.push(("_csrf", &csrf));
    let elsewhere = me
        .post_raw(
            "/admin/sessions/nouvelle",
            &good,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(elsewhere.status, 403);
    assert_eq!(app.event_count().await, 0);
    // The same request with the token from this origin goes through.
    let origin = app.address.clone();
    let ok = me
        .post_raw("/admin/sessions/nouvelle", &good, &[("origin", &origin)])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.html);
    assert_eq!(app.event_count().await, 1);
}

async fn organisers_cannot_manage_accounts_and_a_disabled_account_is_logged_out(db: Db) {
    let app = spawn_app(db).await;
    let mut organiser = logged_in(&app, "camille@example.org", "organiser").await;
    let mut admin = logged_in(&app, "alex@example.org", "admin").await;
    let refused = organiser.get("/admin/comptes").await;
    assert_eq!(refused.status, 403);
    assert!(refused.html.contains("réservée aux administrat"));
    assert_eq!(organiser.get("/admin/jetons").await.status, 403);
    let accounts = admin.get("/admin/comptes").await;
    assert_eq!(accounts.status, 200);
    assert!(accounts.html.contains("camille@example.org"));

    let disabled = admin
        .post("/admin/comptes/camille%40example.org/desactiver", &[])
        .await;
    assert_eq!(disabled.status, 303, "{}", disabled.html);
    let after = organiser.get("/admin").await;
    assert_eq!(after.status, 303);
    assert!(after.location().starts_with("/admin/connexion"));
    // And the address can no longer log in.
    organiser.get("/admin/connexion").await;
    let again = organiser
        .post(
            "/admin/connexion",
            &[("email", "camille@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, 401);
}

on_both_backends!(
    an_organiser_schedules_previews_publishes_moves_and_cancels,
    a_post_without_the_token_or_from_elsewhere_changes_nothing,
    organisers_cannot_manage_accounts_and_a_disabled_account_is_logged_out,
);

#[tokio::test]
async fn a_visitor_without_a_session_is_sent_to_the_login_page() {
    let app = spawn_app(Db::Sqlite).await;
    let mut visitor = Browser::new(&app);
    let answer = visitor.get("/admin/sessions?statut=brouillon").await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.location(),
        "/admin/connexion?suite=%2Fadmin%2Fsessions%3Fstatut%3Dbrouillon"
    );
    let posted = visitor
        .post_raw("/admin/sessions/nouvelle", &[("title", "x")], &[])
        .await;
    assert_eq!(posted.status, 303);
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn login_answers_alike_then_throttles_and_cookies_are_guarded() {
    let app = spawn_app(Db::Sqlite).await;
    let policy = settings_for(&app._db.url).console.policy();
    let new = NewAccount::parse("camille@example.org", "Camille", "organiser").expect("account");
    let (_, secret) = app
        .store
        .create_account(&new, &policy)
        .await
        .expect("create");
    let mut browser = Browser::new(&app);
    browser.log_in("camille@example.org", &secret).await;
    let session_cookie = browser
        .last_set_cookies
        .iter()
        .find(|c| c.starts_with("eventail_console="))
        .cloned();
    // The login's answer set it; the home page did not need to.
    let mut fresh = Browser::new(&app);
    fresh.get("/admin/connexion").await;
    let login_cookie = fresh.last_set_cookies.join("\n");
    assert!(
        login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Lax"),
        "{login_cookie}"
    );
    assert!(
        !login_cookie.contains("Secure"),
        "plain http: no Secure flag"
    );
    drop(session_cookie);

    // An unknown address and a wrong password read the same.
    let unknown = fresh
        .post(
            "/admin/connexion",
            &[("email", "personne@example.org"), ("password", PASSWORD)],
        )
        .await;
    let wrong = fresh
        .post(
            "/admin/connexion",
            &[
                ("email", "camille@example.org"),
                ("password", "mauvais mot de passe"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    let message = |html: &str| {
        html.find("role=\"alert\"")
            .map(|i| html[i..].split("</div>").next().unwrap_or("").to_string())
    };
    assert_eq!(message(&unknown.html), message(&wrong.html));

    // Five failures for the address: the right password is refused for the window.
    for _ in 0..4 {
        fresh
            .post(
                "/admin/connexion",
                &[
                    ("email", "camille@example.org"),
                    ("password", "encore faux"),
                ],
            )
            .await;
    }
    let throttled = fresh
        .post(
            "/admin/connexion",
            &[("email", "camille@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(throttled.status, 401);
    assert!(
        throttled.html.contains("Trop de tentatives"),
        "{}",
        throttled.html
    );
}

/// An account is one mailbox however its address is spelled: created with quotes and a
/// Unicode domain, it logs in with the plain punycode spelling, and failed logins under any
/// spelling count against it.
#[tokio::test]
async fn every_spelling_of_an_account_logs_in_and_is_throttled_as_one() {
    let app = spawn_app(Db::Sqlite).await;
    let policy = settings_for(&app._db.url).console.policy();
    let new =
        NewAccount::parse("\"Camille\"@Bücher.example", "Camille", "organiser").expect("account");
    assert_eq!(new.email.as_str(), "camille@xn--bcher-kva.example");
    let (_, secret) = app
        .store
        .create_account(&new, &policy)
        .await
        .expect("create");
    let mut browser = Browser::new(&app);
    browser.log_in("camille@bücher.example", &secret).await;

    let mut fresh = Browser::new(&app);
    fresh.get("/admin/connexion").await;
    for spelling in [
        "CAMILLE@XN--BCHER-KVA.EXAMPLE",
        "\"camille\"@bücher.example",
        "\"\\c\\a\\m\\i\\l\\l\\e\"@xn--bcher-kva.example",
        "camille@bu\u{308}cher.example",
        " Camille@BÜCHER.example ",
    ] {
        let refused = fresh
            .post(
                "/admin/connexion",
                &[("email", spelling), ("password", "encore faux")],
            )
            .await;
        assert_eq!(refused.status, 401, "{spelling:?}");
    }
    let throttled = fresh
        .post(
            "/admin/connexion",
            &[
                ("email", "camille@xn--bcher-kva.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(throttled.status, 401);
    assert!(
        throttled.html.contains("Trop de tentatives"),
        "{}",
        throttled.html
    );
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_host_bound() {
    let fresh = FreshDb::new(Db::Sqlite).await;
    let app = spawn_app_with(fresh, |f| {
        f.merge(("http.base_url", "https://agenda.example.org"))
    })
    .await;
    let mut browser = Browser::new(&app);
    browser.get("/admin/connexion").await;
    let cookies = browser.last_set_cookies.join("\n");
    assert!(cookies.contains("Secure"), "{cookies}");
    let policy = settings_for(&app._db.url).console.policy();
    let new = NewAccount::parse("camille@example.org", "Camille", "organiser").expect("account");
    let (_, secret) = app
        .store
        .create_account(&new, &policy)
        .await
        .expect("create");
    // The console checks the Origin against the configured address.
    let path = format!("/admin/mot-de-passe/{secret}");
    browser.get(&path).await;
    let origin = [("origin", "https://agenda.example.org")];
    let csrf = browser.csrf.clone();
    let set = browser
        .post_raw(
            &path,
            &[
                ("password", PASSWORD),
                ("confirmation", PASSWORD),
                ("_csrf", &csrf),
            ],
            &origin,
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.html);
    browser.get("/admin/connexion").await;
    let csrf = browser.csrf.clone();
    let done = browser
        .post_raw(
            "/admin/connexion",
            &[
                ("email", "camille@example.org"),
                ("password", PASSWORD),
                ("_csrf", &csrf),
            ],
            &origin,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let session = done
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-eventail="))
        .expect("session cookie")
        .to_string();
    assert!(
        session.contains("Secure")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
}

#[tokio::test]
async fn console_pages_forbid_framing_inline_scripts_and_caching() {
    let app = spawn_app(Db::Sqlite).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;
    let page = me.get("/admin/sessions/nouvelle").await;
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(
        page.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        page.headers
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
}

#[tokio::test]
async fn form_errors_show_in_french_next_to_their_field_and_keep_what_was_typed() {
    let app = spawn_app(Db::Sqlite).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;
    let mut form = webinar_form("scheduled", "2027-03-28");
    form.retain(|(k, _)| !["title", "start_time", "capacity"].contains(k));
    // 02:30 on the last Sunday of March does not exist in Paris.
    form.push(("start_time", "02:30"));
    form.push(("title", ""));
    form.push(("capacity", "quatre-vingts"));
    let answer = me.post("/admin/sessions/nouvelle/apercu", &form).await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    let html = &answer.html;
    assert!(html.contains("id=\"title-error\""), "{html}");
    assert!(html.contains("Ce champ est obligatoire."), "{html}");
    assert!(html.contains("id=\"starts_at-error\""), "{html}");
    assert!(html.contains("id=\"capacity-error\""), "{html}");
    // What was typed is still there.
    assert!(html.contains("quatre-vingts"));
    assert!(html.contains("Dominique Lefèvre"));
    assert!(html.contains("https:&#x2f;&#x2f;visio.example.org&#x2f;salle-42"));
    assert_eq!(app.event_count().await, 0);
}

async fn directories_subscribers_and_the_import_dry_run(db: Db) {
    let app = spawn_app(db).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let event = app
        .create_event(serde_json::json!({
            "kind": "webinar", "status": "scheduled", "title": "Sobriété des services",
            "starts_at": start.format("%Y-%m-%dT09:00").to_string(),
            "ends_at": start.format("%Y-%m-%dT10:00").to_string(),
            "series": {"title": "Les mercredis sobres"},
            "speakers": [{"name": "Camille Martin", "role": "cheffe de projet"}, {"name": "C. Martin", "organisation": "DINUM"}]
        }))
        .await;
    let id = event["id"].as_str().expect("id").to_string();

    // Speakers: edit one entry, merge the duplicate into it.
    let list = me.get("/admin/intervenants").await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("C. Martin"));
    let kept = app
        .store
        .get_speaker("camille-martin")
        .await
        .expect("speaker");
    let twin = app.store.get_speaker("c-martin").await.expect("speaker");
    let saved = me
        .post(
            &format!("/admin/intervenants/{}", kept.id),
            &[
                ("name", "Camille Martin"),
                ("role", "cheffe de projet"),
                ("organisation", "Mission numérique"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let refused = me
        .post(
            &format!("/admin/intervenants/{}", kept.id),
            &[("name", ""), ("role", ""), ("organisation", "")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("id=\"name-error\""));
    let merged = me
        .post(
            &format!("/admin/intervenants/{}/fusionner", kept.id),
            &[("other", &twin.id)],
        )
        .await;
    assert_eq!(merged.status, 303, "{}", merged.html);
    let stored = app.store.get_event(&id).await.expect("event");
    assert_eq!(stored.speakers.len(), 1, "{:?}", stored.speakers);
    assert_eq!(
        stored.speakers[0].organisation.as_deref(),
        Some("Mission numérique")
    );

    // Series: retitled.
    let series = app
        .store
        .get_series("les-mercredis-sobres")
        .await
        .expect("series");
    let saved = me
        .post(
            &format!("/admin/series/{}", series.id),
            &[
                ("title", "Les mercredis de la sobriété"),
                ("description", "Une heure par mois."),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    assert_eq!(
        app.store
            .get_series(&series.id)
            .await
            .expect("series")
            .title,
        "Les mercredis de la sobriété"
    );

    // Subscribers: search, the proof of consent, the CSV, erasing.
    for (email, source) in [
        ("lea@example.org", "=HYPERLINK(\"http://x\")"),
        ("marc@example.org", "salon 2026"),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/subscribers",
                &serde_json::json!({"email": email, "scope": "all", "consent": {"source": source, "at": "2026-01-04T09:00:00Z"}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let found = me.get("/admin/abonnes?q=LEA&statut=").await;
    assert_eq!(found.status, 200);
    assert!(found.html.contains("lea@example.org"));
    assert!(
        !found.html.contains("marc@example.org"),
        "the search narrows the list"
    );
    let csv = me.get("/admin/abonnes.csv?q=&statut=actif").await;
    assert_eq!(csv.status, 200);
    assert!(csv.html.contains("marc@example.org") && csv.html.contains("lea@example.org"));
    assert!(
        csv.html.contains("'=HYPERLINK"),
        "a formula is neutralised: {}",
        csv.html
    );
    let lea = app
        .store
        .list_subscriptions(
            &eventail::store::SubscriptionFilter {
                address: Some("lea@".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .expect("list");
    assert_eq!(lea.len(), 1);
    let proof = me.get(&format!("/admin/abonnes/{}", lea[0].id)).await;
    assert_eq!(proof.status, 200);
    assert!(proof.html.contains("Preuve du consentement"));
    let erased = me
        .post(&format!("/admin/abonnes/{}/effacer", lea[0].id), &[])
        .await;
    assert_eq!(erased.status, 303);
    assert!(
        app.store.get_subscription(&lea[0].id).await.is_err(),
        "erased"
    );

    // The import's dry run: read, reported, not stored.
    let before = app.event_count().await;
    let post = "---\ntitle: \"Webinaire : mesurer l'empreinte\"\ndate: 2027-02-01\n---\n\n\
                Webinaire le mercredi 3 février 2027 de 9h à 10h30.\n\n\
                Avec Dominique Lefèvre, experte RGESN.\n";
    let report = me
        .post(
            "/admin/import/apercu",
            &[("path", "agenda/2027-02-03-mesurer.md"), ("text", post)],
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.html);
    assert!(report.html.contains("un webinaire"), "{}", report.html);
    assert!(report.html.contains("2027-02-03T09:00"), "{}", report.html);
    assert_eq!(app.event_count().await, before, "a dry run stores nothing");
    let audit = app.store.audit_log(100).await.expect("audit");
    assert!(
        !audit.iter().any(|a| a.path.starts_with("/admin/import")),
        "a dry run is no write"
    );
}

async fn registrants_are_added_moved_removed_and_downloaded(db: Db) {
    let app = spawn_app(db).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let event = app
        .create_event(serde_json::json!({
            "kind": "webinar", "status": "scheduled", "title": "Atelier à places comptées",
            "starts_at": start.format("%Y-%m-%dT09:00").to_string(),
            "ends_at": start.format("%Y-%m-%dT10:00").to_string(),
            "capacity": 1, "registration_required": true,
            "links": {"join": "https://visio.example.org/salle"}
        }))
        .await;
    let id = event["id"].as_str().expect("id").to_string();
    for (email, name) in [
        ("ariane@example.org", "Ariane"),
        ("bastien@example.org", "Bastien"),
    ] {
        let added = me
            .post(
                &format!("/admin/sessions/{id}/inscrits"),
                &[
                    ("email", email),
                    ("name", name),
                    ("organisation", ""),
                    ("note", "par téléphone"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.html);
    }
    let again = me
        .post(
            &format!("/admin/sessions/{id}/inscrits"),
            &[
                ("email", "ariane@example.org"),
                ("name", "Ariane"),
                ("organisation", ""),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.html.contains("déjà inscrite"), "{}", again.html);
    let invalid = me
        .post(
            &format!("/admin/sessions/{id}/inscrits"),
            &[
                ("email", "pas-une-adresse"),
                ("name", ""),
                ("organisation", ""),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(invalid.status, 422);
    assert!(
        invalid.html.contains("id=\"email-error\"") && invalid.html.contains("id=\"name-error\"")
    );

    let page = me.get(&format!("/admin/sessions/{id}/inscrits")).await;
    assert!(
        page.html.contains("place attribuée") && page.html.contains("liste d&#x27;attente"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("<svg"),
        "the chart of registrations per day"
    );
    let (_, list) = app.store.list_registrations(&id, None).await.expect("list");
    let ariane = list.iter().find(|r| r.name == "Ariane").expect("Ariane");
    let bastien = list.iter().find(|r| r.name == "Bastien").expect("Bastien");
    // Ariane behind Bastien on the waiting list: he gets her seat.
    let moved = me
        .post(
            &format!("/admin/sessions/{id}/inscrits/{}/deplacer", ariane.id),
            &[("to", "attente"), ("position", "2")],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.html);
    let seated = app
        .store
        .get_registration(&id, &bastien.id)
        .await
        .expect("Bastien");
    assert_eq!(seated.status, eventail::domain::RegistrationStatus::Seated);
    let removed = me
        .post(
            &format!("/admin/sessions/{id}/inscrits/{}/retirer", bastien.id),
            &[],
        )
        .await;
    assert_eq!(removed.status, 303);
    let ariane = app
        .store
        .get_registration(&id, &ariane.id)
        .await
        .expect("Ariane");
    assert_eq!(
        ariane.status,
        eventail::domain::RegistrationStatus::Seated,
        "promoted"
    );

    let csv = me.get(&format!("/admin/sessions/{id}/inscrits.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers.get("content-disposition").is_some());
    assert!(csv.html.lines().count() == 3, "{}", csv.html);
    assert!(csv.html.contains("organiser: par téléphone"));

    let history = me.get(&format!("/admin/sessions/{id}/historique")).await;
    assert_eq!(history.status, 200);
    let outbox = me.get(&format!("/admin/sessions/{id}/courriels")).await;
    assert_eq!(outbox.status, 200);
    assert!(outbox.html.contains("Place confirmée"), "{}", outbox.html);
}

on_both_backends!(
    directories_subscribers_and_the_import_dry_run,
    registrants_are_added_moved_removed_and_downloaded,
);

#[tokio::test]
async fn a_failed_message_is_retried_from_the_dashboard_and_logging_out_ends_the_session() {
    let fresh = FreshDb::new(Db::Sqlite).await;
    let app = spawn_app_with(fresh, |f| f.merge(("mail.dispatch", false))).await;
    let mut me = logged_in(&app, "camille@example.org", "organiser").await;
    let (status, _) = app
        .post(
            "/api/v1/subscribers",
            &serde_json::json!({"email": "abonnee@example.org", "scope": "all",
                    "consent": {"source": "salon", "at": "2026-01-04T09:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 201);
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let event = app
        .create_event(serde_json::json!({
            "kind": "webinar", "status": "scheduled", "title": "Sobriété des services",
            "starts_at": start.format("%Y-%m-%dT09:00").to_string(),
            "ends_at": start.format("%Y-%m-%dT10:00").to_string()
        }))
        .await;
    let id = event["id"].as_str().expect("id").to_string();
    // The relay refuses the announcement for good.
    let claimed = app
        .store
        .claim_due("test", 10, chrono::Duration::minutes(1))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "the announcement to the subscriber");
    assert!(app
        .store
        .mark_failed(claimed[0].id, "test", "550 mailbox unavailable")
        .await
        .expect("fail"));

    let home = me.get("/admin").await;
    assert!(
        home.html.contains("550 mailbox unavailable"),
        "{}",
        home.html
    );
    assert!(home.html.contains("Réessayer"));
    assert!(
        home.html.contains("<svg"),
        "the chart of deliveries per day"
    );
    let outbox = me.get(&format!("/admin/sessions/{id}/courriels")).await;
    assert!(outbox.html.contains("en échec"));
    let retried = me
        .post(
            &format!(
                "/admin/courriels/{}/reessayer?retour=/admin/sessions/{id}/courriels",
                claimed[0].id
            ),
            &[],
        )
        .await;
    assert_eq!(retried.status, 303, "{}", retried.html);
    assert_eq!(
        retried.location(),
        format!("/admin/sessions/{id}/courriels?fait=relance")
    );
    let again = app
        .store
        .outbox_message(claimed[0].id)
        .await
        .expect("message");
    assert_eq!(
        again.status,
        eventail::domain::MessageStatus::Queued,
        "queued again"
    );
    assert_eq!(
        app.store
            .outbox_for_event(&id)
            .await
            .expect("outbox")
            .failed,
        0
    );
    let twice = me
        .post(
            &format!("/admin/courriels/{}/reessayer", claimed[0].id),
            &[],
        )
        .await;
    assert_eq!(twice.status, 409, "only a failed message is retried");

    // « Dupliquer »: the same speakers, programme and links, a date to choose.
    let copy = me.get(&format!("/admin/sessions/{id}/dupliquer")).await;
    assert_eq!(copy.status, 200);
    assert!(copy.html.contains("Sobriété des services"));
    assert_eq!(input_value(&copy.html, "start_date").as_deref(), Some(""));
    assert_eq!(input_value(&copy.html, "version").as_deref(), Some(""));

    let out = me.post("/admin/deconnexion", &[]).await;
    assert_eq!(out.status, 303);
    let after = me.get("/admin").await;
    assert_eq!(after.status, 303, "the session is over");
}

#[tokio::test]
async fn twenty_wrong_passwords_from_one_client_are_throttled_whatever_the_address() {
    let app = spawn_app(Db::Sqlite).await;
    let policy = settings_for(&app._db.url).console.policy();
    let new = NewAccount::parse("camille@example.org", "Camille", "organiser").expect("account");
    let (_, secret) = app
        .store
        .create_account(&new, &policy)
        .await
        .expect("create");
    let mut owner = Browser::new(&app);
    owner.log_in("camille@example.org", &secret).await;

    // Someone tries twenty addresses, four passwords each at most: under the per-address limit.
    let mut attacker = Browser::new(&app);
    attacker.get("/admin/connexion").await;
    for i in 0..20 {
        let email = format!("personne{}@example.org", i % 5);
        let answer = attacker
            .post(
                "/admin/connexion",
                &[("email", &email), ("password", "mauvais mot de passe")],
            )
            .await;
        assert_eq!(answer.status, 401);
    }
    // From that client, even the right password of a real account is now refused...
    let refused = attacker
        .post(
            "/admin/connexion",
            &[("email", "camille@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.html.contains("Trop de tentatives"),
        "{}",
        refused.html
    );
    assert!(
        !attacker
            .last_set_cookies
            .iter()
            .any(|c| c.starts_with("eventail_console=")),
        "no session"
    );
}
