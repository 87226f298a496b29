//! `alluvium-sync`: the central sync server. Devices enrol with a one-time code, officers log
//! in, and devices push their change logs and pull what their officer may see (DESIGN.md,
//! "Sync"). One binary: `serve` runs the API, `admin` manages regions, officers and devices
//! on the same database, even while the server runs.

pub mod admin;
pub mod api;
pub mod auth;
pub mod db;
pub mod error;
pub mod photo_vault;

use alluvium::sync::limits;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The server store.
    pub db: Arc<dyn db::ServerStore>,
    /// Password checks running at once (argon2 takes ~20 MB and tens of milliseconds each).
    pub logins: Arc<Semaphore>,
    /// Large request bodies being decompressed and parsed at once.
    pub large_bodies: Arc<Semaphore>,
}

impl AppState {
    /// State over a store, with the protocol's login and body limits
    /// (`alluvium::sync::limits`).
    pub fn new(db: Arc<dyn db::ServerStore>) -> AppState {
        AppState {
            db,
            logins: Arc::new(Semaphore::new(limits::MAX_CONCURRENT_LOGINS)),
            large_bodies: Arc::new(Semaphore::new(limits::MAX_CONCURRENT_LARGE_BODIES)),
        }
    }
}

async fn not_found() -> error::ApiError {
    error::ApiError::NotFound("no such endpoint (the API is under /api/v1)".into())
}

async fn wrong_method() -> impl axum::response::IntoResponse {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(alluvium::sync::wire::ErrorBody {
            error: "method_not_allowed".into(),
            message: "this endpoint does not take that method".into(),
        }),
    )
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .nest(alluvium::sync::wire::API_PREFIX, api::router())
        .fallback(not_found)
        .method_not_allowed_fallback(wrong_method)
        // `api::JsonBody` applies each request kind's own limit; this one is a backstop for
        // any other body extractor.
        .layer(DefaultBodyLimit::max(limits::MAX_BODY))
        .with_state(state)
}

/// TLS certificate and key files (PEM).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// Serves `app` on `listener` until `shutdown` resolves, finishing requests in flight.
pub async fn serve(
    listener: std::net::TcpListener,
    state: AppState,
    tls: Option<Tls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app(state);
    match tls {
        None => {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        Some(tls) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot load the TLS certificate {} / key {}: {e}",
                        tls.cert.display(),
                        tls.key.display()
                    )
                })?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                h.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            listener.set_nonblocking(true)?;
            axum_server::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(app.into_make_service())
                .await?;
        }
    }
    Ok(())
}
