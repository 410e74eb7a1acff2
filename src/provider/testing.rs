//! A scripted HTTP responder for the providers' unit tests: an axum server
//! on `127.0.0.1:0` that records every request it receives (the journal) and
//! answers each with whatever the test's handler returns — a canned body, a
//! delay longer than the client's timeout, or a body cut off mid-way.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// One request as the responder received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// `GET`, `POST`, `DELETE`.
    pub(crate) method: String,
    /// The path, without the query.
    pub(crate) path: String,
    /// The decoded query parameters, in the order sent.
    pub(crate) query: Vec<(String, String)>,
    /// The raw query string.
    pub(crate) raw_query: String,
    /// The request headers.
    pub(crate) headers: HeaderMap,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    /// A query parameter's value.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }
}

/// What the responder sends back.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    cut: bool,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        Reply::raw(status, body.to_string().into_bytes()).header("content-type", "application/json")
    }

    /// An answer with exactly these body bytes.
    pub(crate) fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply { status, headers: Vec::new(), body: body.into(), delay: Duration::ZERO, cut: false }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Waits this long before answering (after recording the request).
    pub(crate) fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends the first half of the body, then breaks the connection.
    pub(crate) fn cut_off(mut self) -> Self {
        self.cut = true;
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A running responder; stops when dropped.
pub(crate) struct Responder {
    url: String,
    journal: Arc<Mutex<Vec<Recorded>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Responder {
    /// Answers request number `n` (0-based) with `handler(request, n)`.
    pub(crate) async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let journal: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = {
            let journal = Arc::clone(&journal);
            axum::Router::new().fallback(move |request: Request| {
                let journal = Arc::clone(&journal);
                let handler = Arc::clone(&handler);
                async move { respond(request, &journal, &*handler).await }
            })
        };
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Responder { url, journal, server }
    }

    /// Answers with `replies` in order (a 599 once they run out).
    pub(crate) async fn script(replies: Vec<Reply>) -> Self {
        let queue = Mutex::new(VecDeque::from(replies));
        Responder::start(move |_, _| {
            queue.lock().unwrap().pop_front().unwrap_or_else(|| Reply::raw(599, "script exhausted"))
        })
        .await
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.journal.lock().unwrap().clone()
    }
}

async fn respond(request: Request, journal: &Mutex<Vec<Recorded>>, handler: &Handler) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let query = reqwest::Url::parse(&format!("http://x/?{raw_query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        raw_query,
        headers: parts.headers,
        body: body.to_vec(),
    };
    let reply = {
        let mut journal = journal.lock().unwrap();
        let number = journal.len();
        journal.push(recorded.clone());
        handler(&recorded, number)
    };
    tokio::time::sleep(reply.delay).await;
    let mut builder = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        builder = builder.header(name, value);
    }
    let body = if reply.cut {
        let half = Bytes::from(reply.body[..reply.body.len() / 2].to_vec());
        // Announce the full length, send half, then fail the stream: the client sees a broken body.
        builder = builder.header("content-length", reply.body.len().to_string());
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            vec![Ok(half), Err(std::io::Error::other("cut off"))];
        Body::from_stream(futures_util::stream::iter(chunks))
    } else {
        Body::from(reply.body)
    };
    builder.body(body).unwrap()
}

/// The error of a read's one failed listing, when the read did not fail as
/// a whole: every requested job of that listing is marked with it.
pub(crate) fn listing_error(
    read: Result<super::LiveRead, super::ProviderError>,
) -> super::ProviderError {
    let read = read.expect("a listing failure, not the provider's");
    let (_, error) = read.failed.first().expect("a failed listing").clone();
    assert!(read.failed.iter().all(|(_, e)| *e == error), "{read:?}");
    error
}

/// Settings for tests: quick retries (waits of a few milliseconds), a short
/// request timeout, a pinned jitter seed.
pub(crate) fn quick_settings() -> super::Settings {
    super::Settings {
        retry: super::RetryPolicy {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(5),
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(10),
        },
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(500),
        max_in_flight: 4,
        max_requests_per_second: None,
        jitter_seed: Some(42),
    }
}

/// A fixed clock at 2024-01-02T03:04:05Z.
pub(crate) fn fixed_clock() -> std::sync::Arc<super::FixedClock> {
    std::sync::Arc::new(super::FixedClock(time::macros::datetime!(2024-01-02 03:04:05 UTC)))
}

/// Collects every log line (all levels) written while the guard lives.
pub(crate) struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

thread_local! {
    /// The buffer of the capture running on this thread, if any.
    static CAPTURE: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> =
        const { std::cell::RefCell::new(None) };
}

impl LogCapture {
    /// Starts capturing what this thread logs, at every level.
    ///
    /// One global subscriber writes to the buffer of the capture on the
    /// logging thread. A thread-local subscriber per test (`set_default`)
    /// raced with the other test threads over tracing's global callsite
    /// interest cache, and about one run in seven captured nothing.
    pub(crate) fn start() -> Self {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(|| CaptureWriter)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in unit tests");
        });
        let buffer: Arc<Mutex<Vec<u8>>> = Arc::default();
        CAPTURE.with(|capture| *capture.borrow_mut() = Some(Arc::clone(&buffer)));
        LogCapture { buffer }
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        CAPTURE.with(|capture| capture.borrow_mut().take());
    }
}

struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(buffer) = &*capture.borrow() {
                buffer.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
