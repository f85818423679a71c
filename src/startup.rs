//! Builds the application from configuration. `eventail serve` and the integration tests go
//! through the same function.

use std::net::SocketAddr;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::domain::MailPolicy;
use crate::http::{router, AppState};
use crate::publish::ical::CalendarSettings;
use crate::store::Store;
use crate::templates::Templates;
use std::sync::Arc;

/// A bound, migrated application, ready to serve.
pub struct Application {
    listener: TcpListener,
    /// `metrics.bind`: `/metrics` alone, on its own address.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    /// The mail dispatcher, unless `mail.dispatch` is off.
    dispatcher: Option<crate::mailer::Dispatcher>,
}

impl Application {
    /// Connects to the database, migrates it and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = open_store(&settings).await?;
        let listener = TcpListener::bind(settings.bind_addr()?)
            .await
            .with_context(|| format!("cannot listen on {}", settings.http.bind))?;
        Self::with_listener(settings, store, listener)
    }

    pub fn with_listener(
        settings: Settings,
        store: Store,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let mut settings = settings;
        if settings.http.base_url.is_empty() {
            // Links must name the port actually bound (the configured one may be 0).
            settings.http.base_url = format!("http://{}", listener.local_addr()?);
        }
        let templates = Arc::new(
            Templates::load(
                (!settings.templates.dir.trim().is_empty())
                    .then(|| std::path::Path::new(settings.templates.dir.trim())),
            )
            .context("cannot load the templates")?,
        );
        let metrics_listener = match settings.metrics.bind_addr()? {
            Some(addr) => {
                let std = std::net::TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr} (metrics.bind)"))?;
                std.set_nonblocking(true)?;
                Some(TcpListener::from_std(std)?)
            }
            None => None,
        };
        let dispatcher = if settings.mail.dispatch {
            Some(
                crate::mailer::dispatcher(
                    store.clone(),
                    &settings,
                    templates.clone(),
                    &settings.base_url(),
                )
                .context("cannot set up mail delivery")?,
            )
        } else {
            None
        };
        let state = AppState::new(store, settings, templates)?;
        let dispatcher = dispatcher.map(|d| d.with_metrics(state.metrics.clone()));
        Ok(Application {
            listener,
            metrics_listener,
            state,
            dispatcher,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is served alone (`metrics.bind`), if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        store.watch_changes().await;
        // The main feed is rendered once now, so the first subscriber does not wait for every
        // session's VEVENT to be written.
        let warm = self.state.clone();
        tokio::spawn(async move {
            if let Err(err) = crate::http::calendar::feed(&warm, Default::default()).await {
                tracing::warn!(error = %err, "could not render the calendar feed ahead");
            }
        });
        let saving = self.state.clone();
        // The dispatcher stops when the server does.
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let dispatching = self.dispatcher.map(|dispatcher| {
            tokio::spawn(dispatcher.run(async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            }))
        });
        if let Some(listener) = self.metrics_listener {
            let private = crate::http::metrics::private_router(self.state.clone());
            let mut stopped = stop_tx.subscribe();
            tokio::spawn(async move {
                let _ = axum::serve(listener, private)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await;
            });
        }
        let shutdown = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        };
        let limits = self.state.settings.http.connection_limits();
        let short_state = self.state.clone();
        let short: crate::server::ShortPath =
            Arc::new(move |request| crate::http::revalidate::answer(&short_state, request));
        let app = router(self.state);
        // As nginx does on keep-alive connections: small responses (304s) leave at once instead
        // of waiting on Nagle's algorithm.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        crate::server::serve(listener, app, Some(short), limits, shutdown).await;
        if let Some(task) = dispatching {
            // A message being sent finishes; the lease covers one cut short.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
        // What the next start serves at once if nothing changes meanwhile.
        if let Err(err) = crate::http::calendar::save_main_feed(&saving).await {
            tracing::warn!(error = %err, "could not save the calendar feed for the next start");
        }
        store.close().await;
        Ok(())
    }
}

/// Connects and migrates.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(settings.database_url(), settings.database.max_connections)
        .await
        .context("cannot open the database")?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    store.set_mail_policy(MailPolicy {
        default_reminders: settings.mail.default_reminders()?,
    });
    // Content writes keep their sessions' VEVENTs as the feeds write them (`feeds.rs`).
    let calendar = CalendarSettings::from_settings(settings, &settings.base_url())?;
    store.set_vevent_writer(Arc::new(crate::feeds::StoreWriter::new(calendar)));
    Ok(store)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
