//! What the service counts for operators, in Prometheus's text format at `/metrics`
//! (prometheus-client): HTTP requests and their latency per route and status, feed answers by
//! status and coding, the outbox by status, messages sent, retried, failed and dropped,
//! reminders' lateness, the relay's errors, dispatcher lease takeovers, the database pool, and
//! the render cache.
//!
//! One `Metrics` per application (no global registry: tests run several in one process). The
//! counters are atomics; the outbox and the pool are read when scraped.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabels {
    feed: &'static str,
    status: u16,
    coding: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

/// What one answer of the short path (`http/revalidate.rs`) moves: its request and latency by
/// method (GET, HEAD) and status (304, 200), and its feed answer by status and coding
/// (identity, gzip, br).
#[derive(Debug, Clone)]
pub struct ShortPathCounters {
    /// [GET, HEAD] × [304, 200].
    requests: [[Counter; 2]; 2],
    /// [GET, HEAD].
    duration: [Histogram; 2],
    /// [304, 200] × [identity, gzip, br].
    answers: [[Counter; 3]; 2],
}

impl ShortPathCounters {
    /// One answer: `modified` for a 200 (else a 304), `coding_index` 0 identity, 1 gzip, 2 br.
    pub fn count(&self, head: bool, modified: bool, coding_index: usize, elapsed: Duration) {
        let method = usize::from(head);
        let status = usize::from(modified);
        self.requests[method][status].inc();
        self.duration[method].observe(elapsed.as_secs_f64());
        if let Some(answers) = self.answers[status].get(coding_index) {
            answers.inc();
        }
    }
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 6.5 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

/// The service's counters and gauges, and the registry that writes them out.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    feed_answers: Family<FeedLabels, Counter>,
    outbox: Family<StatusLabel, Gauge>,
    messages: Family<OutcomeLabel, Counter>,
    reminder_lateness: Histogram,
    relay_errors: Family<OutcomeLabel, Counter>,
    lease_takeovers: Counter,
    pool: Family<StateLabel, Gauge>,
    render_cache: Family<OutcomeLabel, Counter>,
    dispatch_lag: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("eventail");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            http_requests.clone(),
        );
        let http_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (until the response head), by route and method",
            Unit::Seconds,
            http_duration.clone(),
        );
        let feed_answers = Family::<FeedLabels, Counter>::default();
        registry.register(
            "feed_answers",
            "Calendar and Atom feed answers, by feed, status (200, 304…) and content coding",
            feed_answers.clone(),
        );
        let outbox = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "outbox_messages",
            "Messages in the outbox, by status (read when scraped)",
            outbox.clone(),
        );
        let messages = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "mail_messages",
            "Messages handled by this instance's dispatcher: sent, retried, failed, dropped",
            messages.clone(),
        );
        let reminder_lateness = Histogram::new(exponential_buckets(0.5, 2.0, 14));
        registry.register_with_unit(
            "reminder_lateness",
            "How long after its due time a reminder left",
            Unit::Seconds,
            reminder_lateness.clone(),
        );
        let relay_errors = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "mail_transport_errors",
            "Sends the relay (or the mail folder) did not take: temporary (4xx, connection, \
             timeout) or permanent (5xx)",
            relay_errors.clone(),
        );
        let lease_takeovers = Counter::default();
        registry.register(
            "mail_lease_takeovers",
            "Messages this dispatcher claimed after another's lease ran out (a stopped or \
             stalled instance)",
            lease_takeovers.clone(),
        );
        let pool = Family::<StateLabel, Gauge>::default();
        registry.register(
            "database_connections",
            "This instance's database pool: connections in use and idle (read when scraped)",
            pool.clone(),
        );
        let render_cache = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "render_cache_lookups",
            "Feeds, calendar files and pages asked of the render cache: hit or miss",
            render_cache.clone(),
        );
        let dispatch_lag = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "mail_dispatch_lag",
            "How long the oldest due message has waited (read when scraped)",
            Unit::Seconds,
            dispatch_lag.clone(),
        );
        Metrics {
            registry,
            http_requests,
            http_duration,
            feed_answers,
            outbox,
            messages,
            reminder_lateness,
            relay_errors,
            lease_takeovers,
            pool,
            render_cache,
            dispatch_lag,
        }
    }

    /// One answered request: `route` is the matched route's pattern (`/events/{file}`), never
    /// the path itself (whose values would make a series each).
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                method: method.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The counters an answer of the short path for `route` moves, made once so that an
    /// answer costs no label lookup (`http/revalidate.rs`).
    pub fn short_path_counters(&self, route: &str, feed: &'static str) -> ShortPathCounters {
        let requests = |method: &str, status: u16| {
            self.http_requests
                .get_or_create(&RequestLabels {
                    route: route.to_string(),
                    method: method.to_string(),
                    status,
                })
                .clone()
        };
        let duration = |method: &str| {
            self.http_duration
                .get_or_create(&RouteLabels {
                    route: route.to_string(),
                    method: method.to_string(),
                })
                .clone()
        };
        let answers = |status: u16| {
            ["identity", "gzip", "br"].map(|coding| {
                self.feed_answers
                    .get_or_create(&FeedLabels {
                        feed,
                        status,
                        coding: coding.to_string(),
                    })
                    .clone()
            })
        };
        ShortPathCounters {
            requests: [
                [requests("GET", 304), requests("GET", 200)],
                [requests("HEAD", 304), requests("HEAD", 200)],
            ],
            duration: [duration("GET"), duration("HEAD")],
            answers: [answers(304), answers(200)],
        }
    }

    /// A feed answered: `feed` is `calendar` or `atom`, `coding` the Content-Encoding
    /// (`identity` when none).
    pub fn feed_answer(&self, feed: &'static str, status: u16, coding: &str) {
        self.feed_answers
            .get_or_create(&FeedLabels {
                feed,
                status,
                coding: coding.to_string(),
            })
            .inc();
    }

    /// `outcome`: `sent`, `retried`, `failed` or `dropped`.
    pub fn message(&self, outcome: &'static str, n: u64) {
        if n > 0 {
            self.messages
                .get_or_create(&OutcomeLabel { outcome })
                .inc_by(n);
        }
    }

    pub fn reminder_sent_late(&self, late: chrono::Duration) {
        self.reminder_lateness
            .observe(late.num_milliseconds().max(0) as f64 / 1000.0);
    }

    /// `class`: `temporary` or `permanent`.
    pub fn transport_error(&self, class: &'static str) {
        self.relay_errors
            .get_or_create(&OutcomeLabel { outcome: class })
            .inc();
    }

    pub fn lease_takeovers(&self, n: u64) {
        if n > 0 {
            self.lease_takeovers.inc_by(n);
        }
    }

    pub fn render_cache(&self, hit: bool) {
        let outcome = if hit { "hit" } else { "miss" };
        self.render_cache
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }

    /// The values read when scraped: the outbox by status, the pool, the dispatcher's lag.
    pub fn set_scraped(
        &self,
        outbox: &[(String, i64)],
        pool_in_use: i64,
        pool_idle: i64,
        lag: Option<chrono::Duration>,
    ) {
        // Every status, at zero when the count failed (`outbox` is then empty).
        for status in crate::domain::MessageStatus::ALL.map(|s| s.as_str()) {
            let n = outbox
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.outbox
                .get_or_create(&StatusLabel {
                    status: status.to_string(),
                })
                .set(n);
        }
        self.pool
            .get_or_create(&StateLabel { state: "in_use" })
            .set(pool_in_use);
        self.pool
            .get_or_create(&StateLabel { state: "idle" })
            .set(pool_idle);
        self.dispatch_lag
            .set(lag.map_or(0.0, |l| l.num_milliseconds().max(0) as f64 / 1000.0));
    }

    /// Everything, in Prometheus's text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
