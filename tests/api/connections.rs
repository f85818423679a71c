//! The transport: slow and idle clients are disconnected, connections beyond the cap wait for
//! a free slot, HTTP/2 is served, and stopping lets a request in flight finish. Raw TCP
//! clients on the real server (SQLite only: nothing here depends on the backend).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use crate::helpers::{settings_for, spawn_app_with, Db, FreshDb, TestApp};

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

async fn app_with(settings: &[(&'static str, u64)]) -> TestApp {
    let settings = settings.to_vec();
    spawn_app_with(FreshDb::new(Db::Sqlite).await, move |mut figment| {
        for (key, value) in settings {
            figment = figment.merge((key, value));
        }
        figment
    })
    .await
}

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// One whole response (head and `Content-Length` body), as text.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("read a response");
        assert!(n > 0, "closed before a whole response: {bytes:?}");
        bytes.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// Sends a request for /healthz and reads its answer, on a connection that must stay open.
async fn healthz(stream: &mut TcpStream) {
    stream.write_all(HEALTHZ).await.expect("send a request");
    let response = timeout(Duration::from_secs(5), read_response(stream))
        .await
        .expect("an answer within 5 s");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok\n"), "{response}");
}

/// How a wait on a connection ended.
#[derive(Debug, PartialEq)]
enum Seen {
    /// Nothing arrived and the connection is still open.
    Open,
    /// The server closed it (end of stream or reset) without sending anything.
    Closed,
}

/// Waits up to `wait` for the server to close the connection; any byte received fails.
async fn watch(stream: &mut TcpStream, wait: Duration) -> Seen {
    let mut buf = [0u8; 1024];
    match timeout(wait, stream.read(&mut buf)).await {
        Err(_) => Seen::Open,
        Ok(Ok(0)) => Seen::Closed,
        Ok(Ok(n)) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&buf[..n])),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionReset => Seen::Closed,
        Ok(Err(err)) => panic!("read failed: {err}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let app = app_with(&[("http.header_read_timeout_secs", 2)]).await;
    let mut silent = connect(&app.address).await;
    let connected = Instant::now();
    // The server's clock starts at its accept, after our connect: at 1 s it must still be open.
    assert_eq!(watch(&mut silent, Duration::from_secs(1)).await, Seen::Open);
    assert_eq!(
        watch(&mut silent, Duration::from_secs(6)).await,
        Seen::Closed
    );
    assert!(connected.elapsed() >= Duration::from_millis(1900));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_dribbled_slower_than_the_header_timeout_is_cut_off_unanswered() {
    let app = app_with(&[("http.header_read_timeout_secs", 2)]).await;

    // A head sent a byte at a time but whole within the timeout is answered.
    let mut patient = connect(&app.address).await;
    for byte in HEALTHZ {
        patient.write_all(&[*byte]).await.expect("send a byte");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = timeout(Duration::from_secs(5), read_response(&mut patient))
        .await
        .expect("an answer");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // One whose bytes keep coming, but too slowly for the whole head to arrive in time, is not.
    let slow = connect(&app.address).await;
    let connected = Instant::now();
    let (mut reader, mut writer) = slow.into_split();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(40)
    );
    let dribbling = tokio::spawn(async move {
        for byte in head.into_bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        true
    });
    let mut received = Vec::new();
    let read = timeout(Duration::from_secs(7), reader.read_to_end(&mut received)).await;
    let closed_after = connected.elapsed();
    match read {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
        Err(_) => panic!("still open after 7 s"),
    }
    assert!(
        received.is_empty(),
        "answered: {:?}",
        String::from_utf8_lossy(&received)
    );
    assert!(
        closed_after >= Duration::from_millis(1900),
        "closed after {closed_after:?}, before the header timeout"
    );
    // The head (about 9 s of bytes) was still being sent when the server hung up.
    assert!(!dribbling.is_finished() || !dribbling.await.expect("writer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_while_an_active_one_keeps_working() {
    let app = app_with(&[
        ("http.header_read_timeout_secs", 2),
        ("http.keep_alive_timeout_secs", 5),
    ])
    .await;
    let idle = async {
        let mut stream = connect(&app.address).await;
        healthz(&mut stream).await;
        let answered = Instant::now();
        // Past the header timeout but within the keep-alive one: still open.
        assert_eq!(watch(&mut stream, Duration::from_secs(3)).await, Seen::Open);
        assert_eq!(
            watch(&mut stream, Duration::from_secs(6)).await,
            Seen::Closed
        );
        answered.elapsed()
    };
    let active = async {
        let mut stream = connect(&app.address).await;
        let started = Instant::now();
        // A request a second, for longer than both timeouts, on one connection.
        for _ in 0..8 {
            healthz(&mut stream).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        healthz(&mut stream).await;
        started.elapsed()
    };
    let (idle_closed_after, active_for) = tokio::join!(idle, active);
    // The server's clock starts as the answer leaves, a moment before it is read here.
    assert!(
        idle_closed_after >= Duration::from_millis(4500),
        "closed {idle_closed_after:?} after the answer"
    );
    assert!(active_for >= Duration::from_secs(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_connections_a_connection_waits_for_a_free_slot() {
    let app = app_with(&[("http.max_connections", 2)]).await;
    let mut first = connect(&app.address).await;
    let mut second = connect(&app.address).await;
    healthz(&mut first).await;
    healthz(&mut second).await;

    // The third connects (the kernel queues it) but is not served while both are held.
    let mut third = connect(&app.address).await;
    third.write_all(HEALTHZ).await.expect("send a request");
    assert_eq!(
        watch(&mut third, Duration::from_millis(1500)).await,
        Seen::Open
    );
    healthz(&mut second).await;

    // One ends: the third is answered.
    drop(first);
    let response = timeout(Duration::from_secs(5), read_response(&mut third))
        .await
        .expect("answered once a slot is free");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_with_prior_knowledge_is_served() {
    let app = app_with(&[]).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let response = client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "ok\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_finishes_the_request_in_flight_and_does_not_wait_for_idle_ones() {
    let fresh = FreshDb::new(Db::Sqlite).await;
    let mut settings = settings_for(&fresh.url);
    settings.mail.dispatch = false;
    // Long enough that only stopping, not the timeouts, can end the idle connections.
    settings.http.header_read_timeout_secs = 60;
    settings.http.keep_alive_timeout_secs = 60;
    let store = eventail::startup::open_store(&settings)
        .await
        .expect("store");
    let token = store.create_token("tests").await.expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app =
        eventail::startup::Application::with_listener(settings, store, listener).expect("app");
    let address = app.local_addr().expect("address").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let mut silent = connect(&address).await;
    let mut kept_alive = connect(&address).await;
    healthz(&mut kept_alive).await;
    // A request whose body is still arriving when the server is told to stop.
    let body = br#"{"kind": "webinar", "title": "Arr\u00eat en douceur", "starts_at": "2037-12-09T09:00"}"#;
    let mut in_flight = connect(&address).await;
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        secrecy::ExposeSecret::expose_secret(&token.secret),
        body.len()
    );
    in_flight
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    in_flight.write_all(&body[..10]).await.expect("send a part");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(()).expect("the server is running");

    // Idle connections are closed at once; the server waits for the request in flight.
    assert_eq!(
        watch(&mut kept_alive, Duration::from_secs(3)).await,
        Seen::Closed
    );
    assert_eq!(
        watch(&mut silent, Duration::from_secs(3)).await,
        Seen::Closed
    );
    assert!(!server.is_finished(), "stopped with a request in flight");
    in_flight
        .write_all(&body[10..])
        .await
        .expect("send the rest");
    let response = timeout(Duration::from_secs(5), read_response(&mut in_flight))
        .await
        .expect("the request in flight is answered");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(
        response.to_ascii_lowercase().contains("connection: close"),
        "{response}"
    );
    timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once the request is answered")
        .expect("server task")
        .expect("server result");
}
