//! A relay that offers PIPELINING and answers from a script, for the refusals no stock server
//! here can be told to give with pipelining on (smtp-sink turns it off when told to refuse, and
//! mailin does not offer it): several refusals in one pipelined exchange, and a relay that
//! accepts DATA after refusing every recipient. What eventail's transport must do then (the
//! vendored lettre's change 5): send nothing, report the first refusal with its class, and
//! leave the relay ready for the next message.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eventail::config::Settings;
use eventail::mailer::{Outgoing, SendError, Transport};
use lettre::Message;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The replies to one transaction's MAIL, RCPT and DATA; later transactions are accepted.
#[derive(Clone, Copy)]
struct Refusal {
    mail: &'static str,
    rcpt: &'static str,
    data: &'static str,
}

/// What the relay saw, in order, over all connections.
type Transcript = Arc<Mutex<Vec<String>>>;

async fn scripted_relay(script: Vec<Refusal>) -> (String, Transcript) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let seen: Transcript = Arc::default();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (log, script) = (log.clone(), script.clone());
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                let note = |what: String| log.lock().unwrap().push(what);
                note("connect".into());
                write.write_all(b"220 relay.test ESMTP\r\n").await.unwrap();
                let mut now: Option<Refusal> = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        note("hang-up".into());
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" => "250-relay.test\r\n250-PIPELINING\r\n250 8BITMIME",
                        "MAIL" => {
                            now = script.lock().unwrap().next();
                            now.map_or("250 2.1.0 Ok", |r| r.mail)
                        }
                        "RCPT" => now.map_or("250 2.1.5 Ok", |r| r.rcpt),
                        "DATA" => now.map_or("354 End data with <CR><LF>.<CR><LF>", |r| r.data),
                        "RSET" | "NOOP" => "250 2.0.0 Ok",
                        "QUIT" => {
                            note("quit".into());
                            let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                            return;
                        }
                        _ => "502 5.5.2 Error: command not recognized",
                    };
                    note(format!("{verb} {}", &reply[..3]));
                    write
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .unwrap();
                    if reply.starts_with("354") {
                        // The message, up to its final dot; a hang-up before it sends nothing.
                        let mut size = 0;
                        loop {
                            line.clear();
                            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                note(format!("hang-up inside the message after {size} bytes"));
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            size += line.len();
                        }
                        note("message".into());
                        write.write_all(b"250 2.0.0 Ok: queued\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (url, seen)
}

fn transport(url: &str) -> Transport {
    let settings = Settings::from_figment(
        Settings::defaults()
            .merge(("mail.smtp_url", url))
            .merge(("mail.smtp_timeout_seconds", 5))
            .merge(("mail.smtp_pool_size", 1)),
    )
    .unwrap();
    Transport::from_settings(&settings.mail).unwrap()
}

fn message(to: &str) -> Outgoing {
    Message::builder()
        .from("Agenda <agenda@exemple.fr>".parse().unwrap())
        .to(to.parse().unwrap())
        .subject("Rappel : atelier, mercredi 8 décembre")
        .body("Bonjour,\n.\nà bientôt\n".to_string())
        .unwrap()
        .into()
}

/// The transcript once it holds `len` entries (a hang-up is noted after the client has moved
/// on), or as it is after five seconds.
async fn transcript(seen: &Transcript, len: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = seen.lock().unwrap().clone();
        if now.len() >= len || tokio::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// RCPT refused for now, then DATA refused as there is no recipient (RFC 2920's advice): a
/// temporary failure carrying the first refusal, nothing sent, and the next try delivered.
#[tokio::test]
async fn a_temporary_refusal_among_pipelined_commands_sends_nothing() {
    let (url, seen) = scripted_relay(vec![Refusal {
        mail: "250 2.1.0 Ok",
        rcpt: "450 4.2.0 <camille@exemple.fr>: mailbox busy",
        data: "554 5.5.1 Error: no valid recipients",
    }])
    .await;
    let transport = transport(&url);
    match transport.send(message("camille@exemple.fr")).await {
        Err(SendError::Temporary(err)) => assert!(err.contains("mailbox busy"), "{err}"),
        other => panic!("a 450 is temporary, whatever DATA got: {other:?}"),
    }
    transport.send(message("camille@exemple.fr")).await.unwrap();
    assert_eq!(
        transcript(&seen, 12).await,
        [
            "connect", "EHLO 250", "MAIL 250", "RCPT 450", "DATA 554", "quit", "connect",
            "EHLO 250", "MAIL 250", "RCPT 250", "DATA 354", "message"
        ],
        "nothing sent on the refused try, then once"
    );
}

/// Every recipient refused for good but DATA accepted anyway: the client hangs up instead of
/// sending, so the relay drops the transaction; the refusal is permanent; a new connection
/// delivers the next message.
#[tokio::test]
async fn data_accepted_after_a_refused_recipient_gets_no_message() {
    let (url, seen) = scripted_relay(vec![Refusal {
        mail: "250 2.1.0 Ok",
        rcpt: "550 5.1.1 <personne@exemple.fr>: unknown user",
        data: "354 End data with <CR><LF>.<CR><LF>",
    }])
    .await;
    let transport = transport(&url);
    match transport.send(message("personne@exemple.fr")).await {
        Err(SendError::Permanent(err)) => assert!(err.contains("unknown user"), "{err}"),
        other => panic!("a 550 is permanent: {other:?}"),
    }
    let before = transcript(&seen, 6).await;
    assert_eq!(
        before,
        [
            "connect",
            "EHLO 250",
            "MAIL 250",
            "RCPT 550",
            "DATA 354",
            "hang-up inside the message after 0 bytes"
        ],
        "the client leaves without a byte of the message"
    );

    transport.send(message("alix@exemple.fr")).await.unwrap();
    let after = transcript(&seen, 12).await;
    assert_eq!(
        &after[before.len()..],
        ["connect", "EHLO 250", "MAIL 250", "RCPT 250", "DATA 354", "message"]
    );
}

/// MAIL refused for now: RCPT and DATA were already on their way and are refused too. The
/// first refusal (MAIL's) is the one reported, the client says QUIT once every reply is read,
/// and a new connection delivers the message once.
#[tokio::test]
async fn the_first_of_several_refusals_is_reported() {
    let (url, seen) = scripted_relay(vec![Refusal {
        mail: "451 4.3.0 Try again later",
        rcpt: "503 5.5.1 Error: need MAIL command",
        data: "503 5.5.1 Error: need RCPT command",
    }])
    .await;
    let transport = transport(&url);
    match transport.send(message("alix@exemple.fr")).await {
        Err(SendError::Temporary(err)) => assert!(err.contains("Try again later"), "{err}"),
        other => panic!("MAIL's 451 comes first: {other:?}"),
    }
    transport.send(message("alix@exemple.fr")).await.unwrap();
    assert_eq!(
        transcript(&seen, 12).await,
        [
            "connect", "EHLO 250", "MAIL 451", "RCPT 503", "DATA 503", "quit", "connect",
            "EHLO 250", "MAIL 250", "RCPT 250", "DATA 354", "message"
        ]
    );
}
