//! The HTTP server: an accept loop that can reset a connection on demand, the
//! router (admin API, Huawei under `/v3/`, Alibaba everywhere else) and the
//! delivery of replies bent by faults.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::admin;
use crate::exchange::{Delivery, Incoming, Reply};
use crate::state::Shared;
use crate::{alibaba, huawei};

/// Lets a handler ask for its connection to be reset.
#[derive(Clone, Debug)]
struct ConnectionControl(Arc<AtomicBool>);

/// A TCP stream that, once its flag is raised, fails every read and write and
/// closes with SO_LINGER 0, so the peer sees a connection reset.
struct ResettableStream {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResettableStream {
    fn check(&self) -> io::Result<()> {
        if self.reset.load(Ordering::SeqCst) {
            socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO))?;
            Err(io::ErrorKind::ConnectionReset.into())
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `shared` on `listener` until `shutdown` completes; open connections are then dropped.
pub(crate) async fn run(listener: TcpListener, shared: Shared, shutdown: impl Future<Output = ()>) {
    let router = router(shared);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                // A failed accept (e.g. the peer already gone) concerns that peer only.
                let Ok((stream, _)) = accepted else { continue };
                let reset = Arc::new(AtomicBool::new(false));
                let service = router.clone().layer(Extension(ConnectionControl(Arc::clone(&reset))));
                let io = TokioIo::new(ResettableStream { inner: stream, reset });
                connections.spawn(async move {
                    // A connection ending in error (reset, client gone) ends only itself.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, TowerToHyperService::new(service))
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

fn router(shared: Shared) -> Router {
    admin::routes().fallback(cloud).with_state(shared)
}

/// Every non-admin request: Huawei under `/v3/`, Alibaba otherwise.
async fn cloud(
    State(shared): State<Shared>,
    Extension(connection): Extension<ConnectionControl>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Incoming {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
    };
    let reply = if request.path.starts_with("/v3/") {
        huawei::handle(shared, request).await
    } else {
        alibaba::handle(shared, request).await
    };
    deliver(reply, &connection).await
}

async fn deliver(mut reply: Reply, connection: &ConnectionControl) -> Response {
    match reply.delivery {
        Delivery::Normal => {}
        Delivery::Reset => {
            connection.0.store(true, Ordering::SeqCst);
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Delivery::Delayed(delay) => tokio::time::sleep(delay).await,
        Delivery::Truncated => reply.body.truncate(reply.body.len() / 2),
        Delivery::GatewayPage(status) => {
            let page = format!(
                "<html><head><title>{status}</title></head><body><h1>{status}</h1><hr>gateway</body></html>"
            );
            let mut response = Response::new(Body::from(page));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            return response;
        }
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}
