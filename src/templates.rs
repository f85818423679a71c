//! Templates (minijinja, Jinja syntax): compiled into the binary, each replaceable by a file of
//! the same name under the configured folder (`templates.dir`), read when the service starts.

use std::path::{Path, PathBuf};

use minijinja::{Environment, Value};

/// The built-in templates under `templates/`, by name, compiled in.
macro_rules! built_in {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const BUILT_IN: &[(&str, &str)] = built_in![
    "mail/layout.html",
    "mail/event.txt",
    "mail/event.html",
    "mail/footer.txt",
    "mail/confirmation.txt",
    "mail/confirmation.html",
    "mail/already_subscribed.txt",
    "mail/already_subscribed.html",
    "mail/announcement.txt",
    "mail/announcement.html",
    "mail/reminder.txt",
    "mail/reminder.html",
    "mail/compared.txt",
    "mail/compared.html",
    "mail/change.txt",
    "mail/change.html",
    "mail/cancellation.txt",
    "mail/cancellation.html",
    "mail/reinstatement.txt",
    "mail/reinstatement.html",
    "mail/recording.txt",
    "mail/recording.html",
    "mail/registration_confirmation.txt",
    "mail/registration_confirmation.html",
    "mail/seated.txt",
    "mail/seated.html",
    "mail/waitlisted.txt",
    "mail/waitlisted.html",
    "mail/promoted.txt",
    "mail/promoted.html",
    "mail/unregistered.txt",
    "mail/unregistered.html",
    "mail/test.txt",
    "mail/test.html",
    "admin/layout.html",
    "admin/message.html",
    "admin/login.html",
    "admin/password.html",
    "admin/dashboard.html",
    "admin/sessions.html",
    "admin/session-form.html",
    "admin/session.html",
    "admin/session-cancel.html",
    "admin/preview.html",
    "admin/accounts.html",
    "admin/tokens.html",
    "admin/history.html",
    "admin/registrants.html",
    "admin/outbox.html",
    "admin/speakers.html",
    "admin/speaker.html",
    "admin/series-list.html",
    "admin/series.html",
    "admin/subscribers.html",
    "admin/subscriber.html",
    "admin/import.html",
    "pages/layout.html",
    "pages/message.html",
    "pages/item.html",
    "pages/agenda.html",
    "pages/list.html",
    "pages/event.html",
    "pages/subscribe.html",
    "pages/subscribe-inline.html",
    "pages/privacy-notice.html",
    "pages/add-to-calendar.html",
    "pages/confirm.html",
    "pages/unsubscribe.html",
    "pages/registration.html",
    "pages/registration-confirm.html",
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {source}")]
    Render {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("templates folder {0}: {1}")]
    Folder(PathBuf, String),
}

/// The template set, ready to render.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates, with those found in `dir` (if given) in their place. Every
    /// template is compiled now, so a broken override stops the start, not a delivery.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, text) in BUILT_IN {
            let text = match dir {
                Some(dir) => match std::fs::read_to_string(dir.join(name)) {
                    Ok(text) => text,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => text.to_string(),
                    Err(err) => return Err(TemplateError::Folder(dir.join(name), err.to_string())),
                },
                None => text.to_string(),
            };
            env.add_template_owned(name.to_string(), text)
                .map_err(|source| TemplateError::Render {
                    name: name.to_string(),
                    source,
                })?;
        }
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(TemplateError::Folder(
                    dir.to_path_buf(),
                    "is not a folder".into(),
                ));
            }
        }
        Ok(Templates { env })
    }

    pub fn render(&self, name: &str, context: Value) -> Result<String, TemplateError> {
        let error = |source| TemplateError::Render {
            name: name.to_string(),
            source,
        };
        self.env
            .get_template(name)
            .map_err(error)?
            .render(context)
            .map_err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_replaces_only_the_templates_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("mail")).unwrap();
        std::fs::write(dir.path().join("mail/test.txt"), "Bonjour {{ name }} !").unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let text = templates
            .render("mail/test.txt", minijinja::context! { name => "Camille" })
            .unwrap();
        assert_eq!(text, "Bonjour Camille !");
        // The others are the built-in ones.
        assert!(Templates::load(None)
            .unwrap()
            .render("mail/test.html", minijinja::context! {})
            .unwrap()
            .contains("<html"));

        std::fs::write(dir.path().join("mail/test.txt"), "{% if %}").unwrap();
        let err = Templates::load(Some(dir.path())).err().unwrap();
        assert!(err.to_string().contains("mail/test.txt"), "{err}");
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let templates = Templates::load(None).unwrap();
        let html = templates
            .render(
                "pages/message.html",
                minijinja::context! { title => "<script>x</script>", message => "a & b" },
            )
            .unwrap();
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>x"));
    }
}
