//! Cached compressed feeds sent with `sendfile(2)`, as nginx sends static files.
//!
//! A compressed form of a rendering (`publish::rendered`) is made once and then sent to every
//! client that asks for it: a 54 KB gzip feed, tens of thousands of times a second. Written
//! through hyper, each answer copies those bytes from this process into the socket; nginx sends
//! them from the page cache. Here, such a form is also kept in a sealed in-memory file
//! (`memfd_create`) and registered by its address. When hyper hands the connection a slice
//! that lies in a registered form, the connection writes the headers before it with `MSG_MORE`
//! and sends the slice's bytes from the file with `sendfile` (`Zerocopy` below); everything
//! else is written as usual.
//!
//! The file holds the same bytes as the form, written once before the form is shared and then
//! sealed against any change. A form leaves the register before its memory is freed, and hyper
//! holds the form for as long as it writes a slice of it, so an address found in the register
//! always names the form's bytes. Forms smaller than `MIN_LEN` are not worth a file, and at
//! most `MAX_FILES` are held at once.

use std::fs::File;
use std::io::{IoSlice, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use axum::body::Bytes;
use rustix::fs::{MemfdFlags, SealFlags};
use rustix::net::SendFlags;
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Below this, the copy costs less than the file.
pub const MIN_LEN: usize = 16 * 1024;

/// Files held at most, one descriptor each (the render cache holds up to 512 renderings, two
/// compressed forms each): past it, new forms are sent by copy.
const MAX_FILES: usize = 64;

struct Entry {
    start: usize,
    len: usize,
    file: Arc<File>,
}

static SHARED: RwLock<Vec<Entry>> = RwLock::new(Vec::new());
/// Entries in `SHARED`, read without its lock on every write.
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The bytes of a shared form, registered while they live.
struct Owner {
    data: Box<[u8]>,
}

impl AsRef<[u8]> for Owner {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let start = self.data.as_ptr() as usize;
        let mut shared = SHARED
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = shared.len();
        shared.retain(|entry| entry.start != start);
        COUNT.fetch_sub(before - shared.len(), Ordering::Release);
    }
}

/// `data` as `Bytes`, sent with `sendfile` when a connection writes it. Falls back to plain
/// bytes when it is small or no file can be made (the answer is the same, only dearer).
pub fn shared(data: Vec<u8>) -> Bytes {
    if data.len() < MIN_LEN || COUNT.load(Ordering::Acquire) >= MAX_FILES {
        return Bytes::from(data);
    }
    let file = match sealed_file(&data) {
        Ok(file) => file,
        Err(err) => {
            tracing::debug!(error = %err, "no in-memory file for a cached form; sent by copy");
            return Bytes::from(data);
        }
    };
    let owner = Owner {
        data: data.into_boxed_slice(),
    };
    let entry = Entry {
        start: owner.data.as_ptr() as usize,
        len: owner.data.len(),
        file: Arc::new(file),
    };
    let mut shared = SHARED
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    shared.push(entry);
    COUNT.fetch_add(1, Ordering::Release);
    drop(shared);
    Bytes::from_owner(owner)
}

fn sealed_file(data: &[u8]) -> std::io::Result<File> {
    let fd = rustix::fs::memfd_create(
        "eventail-form",
        MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
    )?;
    let mut file = File::from(fd);
    file.write_all(data)?;
    rustix::fs::fcntl_add_seals(
        &file,
        SealFlags::WRITE | SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
    )?;
    Ok(file)
}

/// The file and offset holding `slice`, when it lies in a shared form.
fn lookup(slice: &[u8]) -> Option<(Arc<File>, u64)> {
    if COUNT.load(Ordering::Acquire) == 0 || slice.len() < MIN_LEN {
        return None;
    }
    let at = slice.as_ptr() as usize;
    let shared = SHARED.read().ok()?;
    shared.iter().find_map(|entry| {
        (at >= entry.start && at + slice.len() <= entry.start + entry.len)
            .then(|| (entry.file.clone(), (at - entry.start) as u64))
    })
}

/// A socket that can send a shared form's bytes from its file.
pub trait Zerocopy {
    /// `Some` when `bufs` holds a shared form in its first two slices (the head of a response,
    /// then its body, or what is left of the body): the bytes written, headers then body.
    /// `None` leaves the write to `poll_write_vectored`.
    fn poll_write_shared(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Option<Poll<std::io::Result<usize>>>;
}

impl Zerocopy for TcpStream {
    fn poll_write_shared(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Option<Poll<std::io::Result<usize>>> {
        let (head, body, (file, offset)) = match bufs {
            [first, rest @ ..] => match lookup(first) {
                Some(found) => (None, first, found),
                None => {
                    let body = rest.first()?;
                    (Some(first), body, lookup(body)?)
                }
            },
            [] => return None,
        };
        Some(loop {
            match self.poll_write_ready(cx) {
                Poll::Pending => break Poll::Pending,
                Poll::Ready(Err(err)) => break Poll::Ready(Err(err)),
                Poll::Ready(Ok(())) => {}
            }
            let sent = self.try_io(Interest::WRITABLE, || {
                send_head_then_file(self, head.map(|h| &h[..]), &file, offset, body.len())
            });
            match sent {
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => continue,
                other => break Poll::Ready(other),
            }
        })
    }
}

/// The head with `MSG_MORE` (so it leaves in the body's first segment), then `len` bytes of
/// `file` from `offset`. A short count is a partial write, as for `write`.
fn send_head_then_file(
    socket: impl AsFd,
    head: Option<&[u8]>,
    file: &File,
    offset: u64,
    len: usize,
) -> std::io::Result<usize> {
    let mut written = 0;
    if let Some(head) = head.filter(|head| !head.is_empty()) {
        written = rustix::net::send(&socket, head, SendFlags::MORE | SendFlags::NOSIGNAL)?;
        if written < head.len() {
            return Ok(written);
        }
    }
    let mut offset = offset;
    match rustix::fs::sendfile(&socket, file, Some(&mut offset), len) {
        Ok(sent) => Ok(written + sent),
        // The head went: report it; the body is tried again on the next write.
        Err(_) if written > 0 => Ok(written),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// Bytes that no two offsets share, so a misplaced byte shows.
    fn form(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[tokio::test]
    async fn a_shared_form_arrives_whole_after_its_head_through_partial_writes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // Larger than the socket's buffers: sendfile stops short and waits for room.
        let expected = form(8 * 1024 * 1024 + 13);
        let body = shared(expected.clone());
        assert!(lookup(&body[100..MIN_LEN + 100]).is_some());
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 8388621\r\n\r\n".to_vec();
        let reader = tokio::spawn(async move {
            let mut client = client;
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        // As hyper writes: the head and the body, then what is left, until all is written.
        let (mut head_at, mut body_at, mut shared_writes) = (0, 0, 0);
        while body_at < body.len() {
            let written = poll_fn(|cx| {
                let bufs = [
                    IoSlice::new(&head[head_at..]),
                    IoSlice::new(&body[body_at..]),
                ];
                let bufs = if head_at < head.len() {
                    &bufs[..]
                } else {
                    &bufs[1..]
                };
                server
                    .poll_write_shared(cx, bufs)
                    .expect("the body is a shared form")
            })
            .await
            .unwrap();
            shared_writes += 1;
            let to_head = written.min(head.len() - head_at);
            head_at += to_head;
            body_at += written - to_head;
        }
        drop(server);
        let got = reader.await.unwrap();
        assert!(shared_writes > 1, "the socket never filled up");
        assert_eq!(got.len(), head.len() + expected.len());
        assert_eq!(&got[..head.len()], &head[..]);
        assert!(got[head.len()..] == expected[..], "the body differs");
    }

    #[tokio::test]
    async fn other_bytes_are_left_to_the_usual_write_and_a_dropped_form_leaves_the_register() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let body = shared(form(64 * 1024));
        let copy = body.to_vec();
        let small = shared(form(MIN_LEN - 1));
        poll_fn(|cx| {
            assert!(server
                .poll_write_shared(cx, &[IoSlice::new(b"head"), IoSlice::new(&copy)])
                .is_none());
            assert!(server
                .poll_write_shared(cx, &[IoSlice::new(&small)])
                .is_none());
            Poll::Ready(())
        })
        .await;
        let start = body.as_ptr() as usize;
        let registered = |start: usize| {
            SHARED
                .read()
                .unwrap()
                .iter()
                .any(|entry| entry.start == start)
        };
        assert!(registered(start));
        let clone = body.clone();
        drop(body);
        assert!(registered(start), "a clone still holds the form");
        drop(clone);
        assert!(!registered(start));
    }
}
