//! The HTTP server loop: accepts connections up to `http.max_connections`, serves each with
//! hyper (HTTP/1.1, or HTTP/2 with prior knowledge), and closes those slow to send a request
//! head or idle too long between requests.
//!
//! Why not `axum::serve`: it has neither a cap nor timeouts. hyper's own `header_read_timeout`
//! is not enough either: it covers HTTP/1 only, not the wait for the first bytes (the `auto`
//! builder reads them to tell HTTP/1 from HTTP/2, with no deadline), and it times the wait
//! between kept-alive requests with the same clock as a head. So one watchdog per connection
//! times both, the same way for both protocols, from what it sees: bytes read, requests
//! started, responses finished.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use futures_util::future::{self, Either};
use futures_util::task::AtomicWaker;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

mod zerocopy;
pub use zerocopy::{shared, Zerocopy};

/// How long a connection closed for being idle may take to say goodbye (an HTTP/2 GOAWAY);
/// an idle HTTP/1 connection closes at once.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What a client is allowed, from `[http]` in the configuration.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// From the connection's acceptance, or from the first byte of a later request, until its
    /// whole head has arrived.
    pub header_read_timeout: Duration,
    /// From the end of a response until the first byte of the next request.
    pub keep_alive_timeout: Duration,
    /// Connections served at once; further ones wait in the listen queue until one ends.
    pub max_connections: u32,
}

/// Answers some requests before the router (`http/revalidate.rs`: 304s and cached 200s to
/// calendar clients); `None` hands the request to the router.
pub type ShortPath =
    Arc<dyn Fn(&hyper::Request<Incoming>) -> Option<axum::response::Response> + Send + Sync>;

/// Serves `app` (after `short`, when given) until `shutdown` completes, then stops accepting,
/// lets requests in flight finish, closes idle connections and returns once every connection
/// has ended.
pub async fn serve<L>(
    mut listener: L,
    app: Router,
    short: Option<ShortPath>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) where
    L: Listener<Addr = SocketAddr>,
    L::Io: Zerocopy,
{
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        // At the cap, no accept: the kernel keeps new connections in the listen queue (as
        // proxies expect of a busy upstream) instead of this process refusing them.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        tracing::trace!(%peer, "connection accepted");
        tokio::spawn(serve_connection(
            io,
            peer,
            app.clone(),
            short.clone(),
            limits,
            stop_rx.clone(),
            slot,
        ));
    }
    // Connections arriving from now on are refused by the kernel.
    drop(listener);
    stop_tx.send_replace(true);
    // Each connection holds a slot until it ends: all slots free means every connection ended.
    let _ = slots.acquire_many(max).await;
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    short: Option<ShortPath>,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) where
    I: AsyncRead + AsyncWrite + Zerocopy + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new(limits));
    let io = TokioIo::new(Watched {
        inner: io,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let busy = requests.request_started();
        let response = match short.as_ref().and_then(|short| short(&request)) {
            Some(response) => Either::Left(future::ready(Ok::<_, Infallible>(response))),
            None => {
                request.extensions_mut().insert(ConnectInfo(peer));
                Either::Right(app.clone().oneshot(request))
            }
        };
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| TrackedBody { body, _busy: busy }))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The watchdog below times heads; hyper's timer would also cut kept-alive waits short.
    builder.http1().header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut stopping = false;
    // An error means the server loop is gone: stop as well.
    let mut stopped = pin!(async move {
        let _ = stop.wait_for(|stop| *stop).await;
    });
    // One timer for the connection's life, armed at or before the deadline and moved only when
    // it fires or the deadline comes earlier than it (`ActivityState::armed`): a kept-alive
    // connection's requests push the deadline later, so a busy connection resets it about once
    // per head timeout instead of twice per request.
    let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
    let mut armed = false;
    if let Watch::Arm(at) = activity.watch(Instant::now(), false) {
        timer.as_mut().reset(at);
        armed = true;
    }
    let expired = loop {
        tokio::select! {
            biased;
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            () = &mut stopped, if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            () = timer.as_mut(), if armed => {
                match activity.watch(Instant::now(), true) {
                    Watch::Expire(expiry) => break expiry,
                    Watch::Arm(at) => timer.as_mut().reset(at),
                    Watch::Disarm => armed = false,
                    Watch::Keep => {}
                }
            }
            () = future::poll_fn(|cx| activity.poll_changed(cx)) => {
                if let Watch::Arm(at) = activity.watch(Instant::now(), false) {
                    timer.as_mut().reset(at);
                    armed = true;
                }
            }
        }
    };
    match expired {
        Expiry::SlowHead => {
            tracing::debug!(%peer, "closing a connection slow to send a request head");
        }
        Expiry::Idle => {
            tracing::debug!(%peer, "closing an idle kept-alive connection");
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(CLOSE_GRACE, conn).await;
        }
    }
}

/// Why a connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// Nothing, or not a whole head, within `header_read_timeout`.
    SlowHead,
    /// No new request within `keep_alive_timeout`.
    Idle,
}

/// What the watchdog of one connection knows, updated by its reads and its requests.
struct Activity {
    limits: ConnectionLimits,
    state: Mutex<ActivityState>,
    /// Set when the deadline comes earlier than the watchdog's timer, which `watchdog` wakes
    /// (an atomic flag and waker: the watchdog's future is polled with every read and write of
    /// the connection, and a `Notify` would take a lock each time).
    changed: AtomicBool,
    watchdog: AtomicWaker,
}

struct ActivityState {
    /// Requests whose response has not been sent whole yet.
    in_flight: usize,
    /// Whether a request was served: the wait before the next one is a kept-alive wait.
    served: bool,
    /// When the connection was accepted, or last had nothing in flight.
    idle_since: Instant,
    /// The first byte read since `idle_since`.
    head_started: Option<Instant>,
    /// When the watchdog's timer fires, if it is set: at or before the deadline.
    armed: Option<Instant>,
}

/// What the watchdog does with its timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// The deadline has passed: close the connection.
    Expire(Expiry),
    /// Set the timer to this instant.
    Arm(Instant),
    /// No deadline (a request in flight): leave the timer unset until one comes.
    Disarm,
    /// The timer is set early enough: leave it.
    Keep,
}

impl Activity {
    fn new(limits: ConnectionLimits) -> Activity {
        Activity {
            limits,
            state: Mutex::new(ActivityState {
                in_flight: 0,
                served: false,
                idle_since: Instant::now(),
                head_started: None,
                armed: None,
            }),
            changed: AtomicBool::new(false),
            watchdog: AtomicWaker::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is to be closed and why; none while a request is in flight (the
    /// router's request timeout bounds those).
    #[cfg(test)]
    fn deadline(&self) -> Option<(Instant, Expiry)> {
        deadline(&self.state(), &self.limits)
    }

    /// The watchdog's next step, when its timer has fired (`fired`) or it was woken; it records
    /// where the timer is left.
    fn watch(&self, now: Instant, fired: bool) -> Watch {
        let mut state = self.state();
        let step = match deadline(&state, &self.limits) {
            Some((at, expiry)) if fired && at <= now => return Watch::Expire(expiry),
            Some((at, _)) if fired || before_timer(&state, at) => Watch::Arm(at),
            Some(_) => Watch::Keep,
            None if fired => Watch::Disarm,
            // Set early: it fires, finds no deadline, and is left unset.
            None => Watch::Keep,
        };
        match step {
            Watch::Arm(at) => state.armed = Some(at),
            Watch::Disarm => state.armed = None,
            Watch::Expire(_) | Watch::Keep => {}
        }
        step
    }

    /// Wakes the watchdog if the deadline now comes before its timer (or it has none). A later
    /// deadline does not: the timer fires early and moves then.
    fn moved(&self, state: MutexGuard<'_, ActivityState>) {
        let earlier =
            deadline(&state, &self.limits).is_some_and(|(at, _)| before_timer(&state, at));
        drop(state);
        if earlier {
            self.changed.store(true, Ordering::Release);
            self.watchdog.wake();
        }
    }

    /// Ready once the deadline has come earlier than the watchdog's timer since last ready.
    fn poll_changed(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.changed.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.watchdog.register(cx.waker());
        // Set between the first look and the registration: that wake went to the old waker.
        if self.changed.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn bytes_read(&self) {
        let mut state = self.state();
        if state.in_flight == 0 && state.head_started.is_none() {
            state.head_started = Some(Instant::now());
            self.moved(state);
        }
    }

    fn request_started(self: &Arc<Self>) -> Busy {
        let mut state = self.state();
        state.in_flight += 1;
        state.served = true;
        state.head_started = None;
        // No deadline while in flight: nothing to move.
        drop(state);
        Busy(self.clone())
    }
}

/// Whether `at` comes before the watchdog's timer, or the timer is unset.
fn before_timer(state: &ActivityState, at: Instant) -> bool {
    state.armed.is_none_or(|armed| at < armed)
}

fn deadline(state: &ActivityState, limits: &ConnectionLimits) -> Option<(Instant, Expiry)> {
    if state.in_flight > 0 {
        return None;
    }
    Some(match (state.served, state.head_started) {
        (false, _) => (
            state.idle_since + limits.header_read_timeout,
            Expiry::SlowHead,
        ),
        (true, Some(first_byte)) => (first_byte + limits.header_read_timeout, Expiry::SlowHead),
        (true, None) => (state.idle_since + limits.keep_alive_timeout, Expiry::Idle),
    })
}

/// A request in flight, until its response body is dropped (sent whole, or abandoned).
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
            state.head_started = None;
        }
        self.0.moved(state);
    }
}

/// A response body that marks its request finished when hyper drops it.
struct TrackedBody {
    body: Body,
    _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, telling the watchdog when bytes arrive.
struct Watched<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_read();
        }
        poll
    }
}

impl<I: AsyncWrite + Zerocopy + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if let Some(poll) = this
            .inner
            .poll_write_shared(cx, &[std::io::IoSlice::new(buf)])
        {
            return poll;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        // A cached feed's bytes go from their in-memory file (`zerocopy`).
        if let Some(poll) = this.inner.poll_write_shared(cx, bufs) {
            return poll;
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ConnectionLimits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(10),
        keep_alive_timeout: Duration::from_secs(60),
        max_connections: 1,
    };

    /// Asserts the deadline is `timeout` after some instant within `since..=now`, for `why`.
    fn assert_deadline(activity: &Activity, since: Instant, timeout: Duration, why: Expiry) {
        let (at, expiry) = activity.deadline().expect("a deadline");
        assert_eq!(expiry, why);
        assert!(at >= since + timeout && at <= Instant::now() + timeout);
    }

    #[test]
    fn the_deadline_follows_the_connection_s_phase() {
        let accepted = Instant::now();
        let activity = Arc::new(Activity::new(LIMITS));
        // A fresh connection, silent or sending, has the head timeout from its acceptance.
        assert_deadline(
            &activity,
            accepted,
            LIMITS.header_read_timeout,
            Expiry::SlowHead,
        );
        activity.bytes_read();
        assert_deadline(
            &activity,
            accepted,
            LIMITS.header_read_timeout,
            Expiry::SlowHead,
        );
        // A request in flight has none, whatever it reads.
        let busy = activity.request_started();
        activity.bytes_read();
        assert_eq!(activity.deadline(), None);
        // Its response sent, the connection waits the keep-alive timeout for a new request…
        let done = Instant::now();
        drop(busy);
        assert_deadline(&activity, done, LIMITS.keep_alive_timeout, Expiry::Idle);
        // …whose head, once begun, must arrive within the head timeout.
        let first_byte = Instant::now();
        activity.bytes_read();
        assert_deadline(
            &activity,
            first_byte,
            LIMITS.header_read_timeout,
            Expiry::SlowHead,
        );
        // Two requests at once (HTTP/2): idle only when both are done.
        let one = activity.request_started();
        let two = activity.request_started();
        drop(one);
        assert_eq!(activity.deadline(), None);
        drop(two);
        assert_eq!(activity.deadline().map(|(_, e)| e), Some(Expiry::Idle));
    }

    /// Whether the watchdog was woken since it last looked.
    fn woken(activity: &Activity) -> bool {
        use futures::FutureExt;
        future::poll_fn(|cx| activity.poll_changed(cx))
            .now_or_never()
            .is_some()
    }

    #[test]
    fn the_watchdog_is_woken_only_when_the_deadline_comes_before_its_timer() {
        let activity = Arc::new(Activity::new(LIMITS));
        let Watch::Arm(head) = activity.watch(Instant::now(), false) else {
            panic!("a new connection arms the timer");
        };
        // The first head, its request, and its response: the timer is left where it is until
        // it fires, and finding a request in flight then, it is left unset.
        activity.bytes_read();
        let busy = activity.request_started();
        assert!(!woken(&activity));
        assert_eq!(activity.watch(head, true), Watch::Disarm);
        // Unset, the end of the response wakes the watchdog for the kept-alive wait…
        drop(busy);
        assert!(woken(&activity));
        let Watch::Arm(idle) = activity.watch(Instant::now(), false) else {
            panic!("the kept-alive wait arms the timer");
        };
        // …and the next head's shorter timeout moves it earlier.
        activity.bytes_read();
        assert!(woken(&activity));
        let Watch::Arm(next_head) = activity.watch(Instant::now(), false) else {
            panic!("a head started moves the timer earlier");
        };
        assert!(next_head < idle);
        // Later deadlines wake nobody: the next response's kept-alive wait, the head after it.
        drop(activity.request_started());
        activity.bytes_read();
        assert!(!woken(&activity));
        assert_eq!(activity.watch(Instant::now(), false), Watch::Keep);
        // The timer fires early, finds the real deadline later, and moves to it; at it, expires.
        let (at, _) = activity.deadline().expect("a head under way");
        assert!(at >= next_head);
        if at > next_head {
            assert_eq!(activity.watch(next_head, true), Watch::Arm(at));
        }
        assert_eq!(activity.watch(at, true), Watch::Expire(Expiry::SlowHead));
    }
}
