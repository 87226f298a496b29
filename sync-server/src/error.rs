//! The server's one error type: each variant maps to one HTTP status and the shared JSON body
//! `{ "error": CODE, "message": TEXT }`. A 5xx logs its cause and answers a generic message.

use alluvium::sync::wire::ErrorBody;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed request (bad JSON, bad encoding).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but wrong (wrong types, unknown fields, out-of-range values).
    #[error("{0}")]
    Invalid(String),
    /// Missing, unknown, expired or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such route or record.
    #[error("{0}")]
    NotFound(String),
    /// Clashes with existing data.
    #[error("{0}")]
    Conflict(String),
    /// Body larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts; try later.
    #[error("{0}")]
    TooManyRequests(String),
    /// The server is too busy for this request now; it can be retried shortly.
    #[error("{0}")]
    Busy(String),
    /// Something broke on the server.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "the server failed; the request can be retried".to_string()
            }
            other => other.to_string(),
        };
        (
            status,
            Json(ErrorBody {
                error: code.to_string(),
                message,
            }),
        )
            .into_response()
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        use crate::db::DbError;
        match e {
            DbError::NotFound(m) => ApiError::NotFound(m),
            DbError::Conflict(m) => ApiError::Conflict(m),
            DbError::Invalid(m) => ApiError::Invalid(m),
            DbError::Unauthorized(m) => ApiError::Unauthorized(m),
            DbError::Forbidden(m) => ApiError::Forbidden(m),
            DbError::Sqlite(e) => ApiError::Internal(e.to_string()),
            DbError::Postgres(e) => ApiError::Internal(e.to_string()),
            DbError::Database(m) => ApiError::Internal(m),
            DbError::Busy(m) => {
                tracing::warn!(cause = %m, "answered busy");
                ApiError::Busy("the server is busy; try again in a moment".into())
            }
            DbError::Storage(m) => ApiError::Internal(m),
            // Only at open, before serving; an internal error if it ever reaches a request.
            e @ (DbError::TooNew { .. } | DbError::Migration(_)) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}
