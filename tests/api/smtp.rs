//! A real SMTP server on loopback (mailin-embedded) that keeps what it receives and can be told
//! to refuse, and a reader for the messages (mail-parser).

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders, PartType};
use mailin_embedded::response::{NO_MAILBOX, NO_SERVICE, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Messages to refuse with 421 at the end of DATA before accepting again.
    refuse_next: AtomicUsize,
    /// Recipients refused for good (550 at RCPT).
    unknown: Mutex<HashSet<String>>,
    /// Time taken to accept each message, in milliseconds (a slow relay).
    delay_ms: AtomicUsize,
    /// Greetings (HELO or EHLO) received: one per connection a client opens.
    greetings: AtomicUsize,
}

/// One message as the server got it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's sender (MAIL FROM).
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Clone)]
struct Sink {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        self.shared.greetings.fetch_add(1, Ordering::SeqCst);
        OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        self.to.clear();
        self.data.clear();
        OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.shared.unknown.lock().unwrap().contains(to) {
            return NO_MAILBOX;
        }
        self.to.push(to.to_string());
        OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = self.shared.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay as u64));
        }
        let refused = self
            .shared
            .refuse_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refused {
            // 421 and hang up. (mailin stays in its DATA state after a 451, reading the
            // client's next commands as message text, so a refusal that keeps the connection
            // would hang the client until its timeout.)
            return NO_SERVICE;
        }
        self.shared.received.lock().unwrap().push(Received {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
        });
        OK
    }
}

/// The server: runs until the test process ends.
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        Self::on(TcpListener::bind("127.0.0.1:0").expect("bind SMTP"))
    }

    /// On a given port (for a server that "comes back").
    pub fn start_on(port: u16) -> SmtpServer {
        Self::on(TcpListener::bind(("127.0.0.1", port)).expect("bind SMTP port"))
    }

    fn on(listener: TcpListener) -> SmtpServer {
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let handler = Sink {
            shared: shared.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(handler);
        server
            .with_name("smtp.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            // One thread per open connection: pooled clients keep theirs open.
            .with_num_threads(64)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, shared }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Connections clients opened so far (each greets once).
    pub fn connections(&self) -> usize {
        self.shared.greetings.load(Ordering::SeqCst)
    }

    pub fn refuse_next(&self, n: usize) {
        self.shared.refuse_next.store(n, Ordering::SeqCst);
    }

    pub fn slow_down(&self, per_message: Duration) {
        self.shared
            .delay_ms
            .store(per_message.as_millis() as usize, Ordering::SeqCst);
    }

    pub fn refuse_recipient(&self, address: &str) {
        self.shared
            .unknown
            .lock()
            .unwrap()
            .insert(address.to_string());
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `count` messages have arrived (or fails after `within`).
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} messages, got {}: {:?}",
                got.len(),
                got.iter()
                    .map(|m| parse(&m.data).subject)
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// A message read back.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub message_id: String,
    pub headers: Vec<(String, String)>,
    /// Leaf parts in order: content type, `method` parameter, text.
    pub parts: Vec<(String, Option<String>, String)>,
}

impl Mail {
    /// Every value of a header, raw (unfolded, trimmed).
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.replace("\r\n", "").replace('\n', "").trim().to_string())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.header_all(name).into_iter().next()
    }

    pub fn part(&self, content_type: &str) -> Option<&(String, Option<String>, String)> {
        self.parts.iter().find(|(t, _, _)| t == content_type)
    }

    pub fn text(&self) -> String {
        self.part("text/plain")
            .map(|p| p.2.clone())
            .unwrap_or_default()
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        let rest = &text[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(rest[..end].to_string())
    }
}

pub fn parse(data: &[u8]) -> Mail {
    let message = MessageParser::default()
        .parse(data)
        .expect("a MIME message");
    let headers = message
        .headers_raw()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let mut parts = Vec::new();
    for part in &message.parts {
        let text = match &part.body {
            PartType::Text(t) | PartType::Html(t) => t.to_string(),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                String::from_utf8_lossy(b).to_string()
            }
            _ => continue,
        };
        let (kind, method) = match part.content_type() {
            Some(ct) => (
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_lowercase(),
                ct.attribute("method").map(str::to_string),
            ),
            None => ("text/plain".into(), None),
        };
        parts.push((kind, method, text));
    }
    Mail {
        subject: message.subject().unwrap_or_default().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
        headers,
        parts,
    }
}
