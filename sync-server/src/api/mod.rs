//! The HTTP routes under `/api/v1`: health, enrol, login, push (as rows or in columns), pull,
//! and the device keys (a device registering its own, officers' devices fetching their
//! regions'). Bodies are read by a JSON extractor of our own, so malformed, oversized or
//! compressed-bomb bodies all get the shared JSON error body with the right 4xx. Each request
//! kind has its own size limits ([`BodyLimit`]): the unauthenticated enrolment and the login
//! take a few KB at most, and only a push's large body is decompressed and parsed, off the
//! async workers.

use crate::AppState;
use crate::auth::{DeviceAuth, SessionAuth, check_login, shown};
use crate::db::Session;
use crate::error::ApiError;
use alluvium::sync::canonical::decode_b64;
use alluvium::sync::codec;
use alluvium::sync::columns::{PUSH_COLUMNS, PushColumns};
use alluvium::sync::limits::{MAX_LOGIN_WAIT_SECS, MAX_PHOTO_CHUNK, MAX_SMALL_BODY, MAX_USERNAME};
use alluvium::sync::wire::{
    DeviceKeyRequest, DeviceKeysResponse, EnrolRequest, EnrolResponse, Health, LoginRequest,
    LoginResponse, MAX_PUSH_CHANGES, PhotoStatus, PullRequest, PushRequest, PushResponse,
};
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ed25519_dalek::VerifyingKey;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use std::time::Duration;

pub use alluvium::sync::limits::{MAX_BODY, MAX_DECODED};

/// The API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/enrol", post(enrol))
        .route("/login", post(login))
        .route("/push", post(push))
        .route(PUSH_COLUMNS, post(push_columns))
        .route("/pull", post(pull))
        .route("/device-key", post(device_key))
        .route("/device-keys", get(device_keys))
        .route("/photos/{sha256}", get(photo_status).put(put_photo_chunk))
        .route("/photos/{sha256}/bytes", get(photo_bytes))
}

/// How large a request body of one kind may be.
pub trait BodyLimit {
    /// Largest body as sent, compressed or not.
    const WIRE: usize;
    /// Largest body once decompressed.
    const DECODED: usize;
}

impl BodyLimit for EnrolRequest {
    const WIRE: usize = MAX_SMALL_BODY;
    const DECODED: usize = MAX_SMALL_BODY;
}

impl BodyLimit for LoginRequest {
    const WIRE: usize = MAX_SMALL_BODY;
    const DECODED: usize = MAX_SMALL_BODY;
}

impl BodyLimit for DeviceKeyRequest {
    const WIRE: usize = MAX_SMALL_BODY;
    const DECODED: usize = MAX_SMALL_BODY;
}

impl BodyLimit for PullRequest {
    const WIRE: usize = MAX_SMALL_BODY;
    const DECODED: usize = MAX_SMALL_BODY;
}

impl BodyLimit for PushRequest {
    const WIRE: usize = MAX_BODY;
    const DECODED: usize = MAX_DECODED;
}

impl BodyLimit for PushColumns {
    const WIRE: usize = MAX_BODY;
    const DECODED: usize = MAX_DECODED;
}

/// A JSON body, possibly zstd-compressed, within its kind's [`BodyLimit`]; errors use the
/// shared body.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + BodyLimit + Send + 'static> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let zstd = match req.headers().get(header::CONTENT_ENCODING) {
            None => false,
            Some(v) if v.as_bytes() == codec::ZSTD.as_bytes() => true,
            Some(v) => {
                return Err(ApiError::BadRequest(format!(
                    "Content-Encoding {:?} is not supported (use zstd or none)",
                    String::from_utf8_lossy(v.as_bytes())
                )));
            }
        };
        let too_large =
            || ApiError::TooLarge(format!("the request body is larger than {} bytes", T::WIRE));
        // Refuse a declared oversize at once, rather than after reading the whole body.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > T::WIRE as u64) {
            return Err(too_large());
        }
        let bytes = http_body_util::Limited::new(req.into_body(), T::WIRE)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large()
                } else {
                    ApiError::BadRequest(format!("the request body could not be read: {e}"))
                }
            })?
            .to_bytes();
        if T::DECODED <= MAX_SMALL_BODY {
            // A few KB at most: cheaper here than a trip to the blocking pool.
            return decode(&bytes, zstd).map(JsonBody);
        }
        // Up to MAX_DECODED bytes of zstd and JSON: CPU work that must not hold up the async
        // workers, and only a few at once.
        let _permit = state
            .large_bodies
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || decode(&bytes, zstd))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map(JsonBody)
    }
}

/// Decompresses (within `T::DECODED`) and parses a body.
fn decode<T: DeserializeOwned + BodyLimit>(bytes: &Bytes, zstd: bool) -> Result<T, ApiError> {
    let decoded;
    let raw: &[u8] = if zstd {
        decoded = codec::decompress(bytes, T::DECODED).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                ApiError::TooLarge(e.to_string())
            } else {
                ApiError::BadRequest(format!("the zstd body cannot be decoded: {e}"))
            }
        })?;
        &decoded
    } else {
        bytes
    };
    serde_json::from_slice(raw).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::Invalid(format!("the request does not fit the API: {e}")),
            _ => ApiError::BadRequest(format!("the request is not valid JSON: {e}")),
        }
    })
}

async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn enrol(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<EnrolRequest>,
) -> Result<Json<EnrolResponse>, ApiError> {
    let public_key = req.public_key.as_deref().map(parse_key).transpose()?;
    let db = state.db.clone();
    let (device_token, region) =
        run(move || Ok(db.enrol(&req.code, req.device_id, public_key.as_ref())?)).await?;
    tracing::info!(%region, device = %req.device_id, "device enrolled");
    Ok(Json(EnrolResponse {
        device_token,
        region,
    }))
}

/// A device's public key from its wire text.
fn parse_key(text: &str) -> Result<VerifyingKey, ApiError> {
    decode_b64::<32>(text)
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .filter(|k| !k.is_weak())
        .ok_or_else(|| {
            ApiError::Invalid(
                "public_key is not an Ed25519 public key (32 bytes, base64url)".into(),
            )
        })
}

async fn device_key(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    JsonBody(req): JsonBody<DeviceKeyRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let key = parse_key(&req.public_key)?;
    let db = state.db.clone();
    let id = device.id;
    run(move || Ok(db.register_device_key(id, &key)?)).await?;
    tracing::info!(device = %device.id, "device key registered");
    Ok(Json(serde_json::json!({ "status": "registered" })))
}

async fn device_keys(
    State(state): State<AppState>,
    headers: HeaderMap,
    SessionAuth(session): SessionAuth,
) -> Result<Response, ApiError> {
    let db = state.db.clone();
    let keys = run(move || Ok(db.device_keys(&session)?)).await?;
    json_response(&headers, &DeviceKeysResponse { keys })
}

/// Gives back a login attempt that was never checked. Should that fail too (the database is
/// what is busy), the attempt stays counted: the officer waits out the window rather than an
/// attacker getting a free guess.
async fn withdraw_login(state: &AppState, key: &str) {
    let (db, name) = (state.db.clone(), key.to_string());
    if let Err(e) = run(move || Ok(db.withdraw_login(&name)?)).await {
        tracing::warn!(user = %key, error = ?e, "a login attempt could not be given back");
    }
}

async fn login(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let username = req.username.trim().to_string();
    if username.len() > MAX_USERNAME {
        tracing::warn!(
            user = %shown(&username, MAX_USERNAME),
            bytes = username.len(),
            device = %device.id,
            "login refused: user name too long"
        );
        return Err(ApiError::Invalid(format!(
            "user names have at most {MAX_USERNAME} bytes; check the user name"
        )));
    }
    let key = username.to_lowercase();
    // The attempt counts before the password is checked, so concurrent wrong passwords cannot
    // all be checked before the first one is counted.
    let reserved = {
        let (db, key) = (state.db.clone(), key.clone());
        run(move || Ok(db.reserve_login(&key)?)).await?
    };
    if !reserved {
        tracing::warn!(user = %key, device = %device.id, "login refused: too many failures");
        return Err(ApiError::TooManyRequests(
            "too many failed logins for this user; wait a few minutes".into(),
        ));
    }
    let permit = match tokio::time::timeout(
        Duration::from_secs(MAX_LOGIN_WAIT_SECS),
        state.logins.clone().acquire_owned(),
    )
    .await
    {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) | Err(_) => {
            withdraw_login(&state, &key).await;
            return Err(ApiError::Busy(
                "the server is busy checking other logins; try again in a moment".into(),
            ));
        }
    };
    let db = state.db.clone();
    // argon2 is deliberately slow: keep it off the async workers, and run it whether or not
    // the user exists, so that the time taken does not tell.
    let checked = run(move || {
        let _permit = permit;
        let account = db.account(&username)?;
        let hash = account.as_ref().map(|a| a.password_hash.as_str());
        let right = check_login(&req.password, hash);
        Ok(account.filter(|_| right))
    })
    .await;
    let checked = match checked {
        Ok(checked) => checked,
        Err(e) => {
            withdraw_login(&state, &key).await;
            return Err(e);
        }
    };
    let Some(account) = checked else {
        return Err(ApiError::Unauthorized("wrong user name or password".into()));
    };
    if account.disabled {
        // The right password: not a guess to count against the name.
        withdraw_login(&state, &key).await;
        return Err(ApiError::Forbidden(
            "this officer account is disabled".into(),
        ));
    }
    let db = state.db.clone();
    let name = key.clone();
    run(move || Ok(db.login_succeeded(&name)?)).await?;
    let db = state.db.clone();
    let officer = account.officer.clone();
    let session_token = run(move || Ok(db.open_session(device.id, officer.id.0)?)).await?;
    tracing::info!(user = %account.officer.username, device = %device.id, "officer logged in");
    Ok(Json(LoginResponse {
        session_token,
        officer: account.officer,
    }))
}

async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    SessionAuth(session): SessionAuth,
    JsonBody(req): JsonBody<PushRequest>,
) -> Result<Response, ApiError> {
    apply_push(state, headers, session, req).await
}

/// The same push in columns (`alluvium::sync::columns`); its lists must agree.
async fn push_columns(
    State(state): State<AppState>,
    headers: HeaderMap,
    SessionAuth(session): SessionAuth,
    JsonBody(req): JsonBody<PushColumns>,
) -> Result<Response, ApiError> {
    at_most_push_changes(req.change_id.len())?;
    let req = req.into_request().map_err(ApiError::Invalid)?;
    apply_push(state, headers, session, req).await
}

/// Refuses a push of more than [`MAX_PUSH_CHANGES`] changes, in either form.
fn at_most_push_changes(n: usize) -> Result<(), ApiError> {
    if n > MAX_PUSH_CHANGES {
        return Err(ApiError::TooLarge(format!(
            "{n} changes in one push; send at most {MAX_PUSH_CHANGES}"
        )));
    }
    Ok(())
}

async fn apply_push(
    state: AppState,
    headers: HeaderMap,
    session: Session,
    req: PushRequest,
) -> Result<Response, ApiError> {
    at_most_push_changes(req.changes.len())?;
    let db = state.db.clone();
    let n = req.changes.len();
    let user = session.officer.username.clone();
    let results = run(move || Ok(db.push(&session, &req.changes)?)).await?;
    let rejected = results
        .iter()
        .filter(|r| matches!(r.verdict, alluvium::sync::wire::Verdict::Rejected { .. }))
        .count();
    tracing::info!(%user, changes = n, rejected, "push");
    json_response(&headers, &PushResponse { results })
}

/// A JSON answer, zstd-compressed when the client accepts it.
fn json_response<T: serde::Serialize>(headers: &HeaderMap, body: &T) -> Result<Response, ApiError> {
    let json = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let wants_zstd = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().starts_with(codec::ZSTD)));
    let mut resp = if wants_zstd {
        let z = codec::compress(&json).map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut r = z.into_response();
        r.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(codec::ZSTD),
        );
        r
    } else {
        json.into_response()
    };
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

async fn pull(
    State(state): State<AppState>,
    headers: HeaderMap,
    SessionAuth(session): SessionAuth,
    JsonBody(req): JsonBody<PullRequest>,
) -> Result<Response, ApiError> {
    if req.cursor < 0 {
        return Err(ApiError::Invalid("cursor must be 0 or more".into()));
    }
    let db = state.db.clone();
    let limit = req.limit.unwrap_or(alluvium::sync::wire::MAX_PULL_PAGE);
    let page = run(move || Ok(db.pull(&session, req.cursor, limit, req.count)?)).await?;
    json_response(&headers, &page)
}

/// Where a photo chunk starts, and (downloads) how much is asked for.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkQuery {
    offset: u64,
    #[serde(default)]
    len: Option<usize>,
}

/// A query string that does not fit is a 400 with the shared body, not axum's plain text.
fn chunk_query(
    q: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ChunkQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|e| {
        ApiError::BadRequest(format!(
            "the query must be ?offset=N (and, to fetch, &len=N): {}",
            e.body_text()
        ))
    })
}

async fn photo_status(
    State(state): State<AppState>,
    SessionAuth(session): SessionAuth,
    Path(sha): Path<String>,
) -> Result<Json<PhotoStatus>, ApiError> {
    let db = state.db.clone();
    let status = run(move || Ok(db.photo_status(&session, &sha)?)).await?;
    Ok(Json(status))
}

/// `PUT /photos/{sha256}?offset=N`: the body is the picture's bytes from `offset`, at most
/// [`MAX_PHOTO_CHUNK`] of them.
async fn put_photo_chunk(
    State(state): State<AppState>,
    SessionAuth(session): SessionAuth,
    Path(sha): Path<String>,
    query: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Json<PhotoStatus>, ApiError> {
    let q = chunk_query(query)?;
    let too_large = || {
        ApiError::TooLarge(format!(
            "a photo chunk is at most {MAX_PHOTO_CHUNK} bytes; send the picture in parts"
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_PHOTO_CHUNK as u64) {
        return Err(too_large());
    }
    let chunk = http_body_util::Limited::new(req.into_body(), MAX_PHOTO_CHUNK)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                ApiError::BadRequest(format!("the photo chunk could not be read: {e}"))
            }
        })?
        .to_bytes();
    if chunk.is_empty() {
        return Err(ApiError::BadRequest("the photo chunk is empty".into()));
    }
    let db = state.db.clone();
    let user = session.officer.username.clone();
    let n = chunk.len();
    let status = run(move || Ok(db.put_photo_chunk(&session, &sha, q.offset, &chunk)?)).await?;
    tracing::info!(%user, photo = %status.sha256, bytes = n, received = status.received, complete = status.complete, "photo chunk");
    Ok(Json(status))
}

/// `GET /photos/{sha256}/bytes?offset=N&len=L`: up to `L` (at most [`MAX_PHOTO_CHUNK`]) bytes
/// of a whole picture from `offset`, as `application/octet-stream`.
async fn photo_bytes(
    State(state): State<AppState>,
    SessionAuth(session): SessionAuth,
    Path(sha): Path<String>,
    query: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let q = chunk_query(query)?;
    let len = q.len.unwrap_or(MAX_PHOTO_CHUNK).clamp(1, MAX_PHOTO_CHUNK);
    let db = state.db.clone();
    let bytes = run(move || Ok(db.photo_chunk(&session, &sha, q.offset, len)?)).await?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(resp)
}
