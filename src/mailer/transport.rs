//! Where messages go: an SMTP relay (lettre, pooled, plain/STARTTLS/TLS, auth), or, when none is
//! configured, one `.eml` file per message in a folder, so a fresh install works without one.

use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::compose::Outgoing;

use crate::config::MailSettings;

/// Why a message did not leave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx answer, a refused or lost connection, a timeout.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Will not work by retrying: a 5xx answer, a message the relay cannot take.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

impl Transport {
    /// The SMTP relay of `mail.smtp_url`, else the file transport under `mail.outbox_dir`.
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Transport> {
        match mail.smtp_url() {
            Some(url) => {
                let pool = lettre::transport::smtp::PoolConfig::new()
                    .max_size(mail.smtp_pool_size.max(1))
                    .idle_timeout(Duration::from_secs(60));
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?
                    .timeout(Some(Duration::from_secs(mail.smtp_timeout_seconds.max(1))))
                    .pool_config(pool)
                    .build();
                Ok(Transport::Smtp(transport))
            }
            None => {
                let dir = std::path::PathBuf::from(&mail.outbox_dir);
                std::fs::create_dir_all(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot create the mail folder {}: {e}", dir.display())
                })?;
                Ok(Transport::File(AsyncFileTransport::new(&dir), dir))
            }
        }
    }

    /// Whether messages can leave: the relay answers (connects, greets, and takes the
    /// credentials if any), or the folder takes a file.
    pub async fn check(&self) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => match smtp.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("the relay did not answer NOOP".into()),
                Err(e) => Err(e.to_string()),
            },
            Transport::File(_, dir) => {
                let probe = dir.join(".eventail-check");
                std::fs::write(&probe, b"")
                    .and_then(|_| std::fs::remove_file(&probe))
                    .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
            }
        }
    }

    /// For logs: where messages go, without credentials.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP relay (mail.smtp_url)".into(),
            Transport::File(_, dir) => format!("files under {}", dir.display()),
        }
    }

    pub async fn send(&self, message: Outgoing) -> Result<(), SendError> {
        let Outgoing { envelope, bytes } = message;
        match self {
            Transport::Smtp(smtp) => smtp
                .send_raw(&envelope, &bytes)
                .await
                .map(|_| ())
                .map_err(classify),
            Transport::File(file, _) => file
                .send_raw(&envelope, &bytes)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Temporary(format!("cannot write the message: {e}"))),
        }
    }
}

fn classify(err: lettre::transport::smtp::Error) -> SendError {
    let text = err.to_string();
    if err.is_permanent() || err.is_client() {
        SendError::Permanent(text)
    } else {
        // 4xx, timeouts, refused connections, TLS trouble: the relay may be back later.
        SendError::Temporary(text)
    }
}
