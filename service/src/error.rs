//! The one error type at the HTTP edge, and the FastAPI-compatible shape of its responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One entry of a validation error list: `{"loc": [...], "msg": "...", "type": "..."}`.
///
/// The shape is FastAPI's, because existing clients of the original service parse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where the problem is, e.g. `["body", "steps", 2, "content"]`.
    pub loc: Vec<LocPart>,
    /// What is wrong, for a person.
    pub msg: String,
    /// What is wrong, for a program (Pydantic's error type names where one fits).
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl FieldError {
    /// A field error at `loc`.
    pub fn new(loc: Vec<LocPart>, kind: &'static str, msg: impl Into<String>) -> Self {
        FieldError {
            loc,
            msg: msg.into(),
            kind,
        }
    }
}

/// One step of a [`FieldError::loc`]: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LocPart {
    /// An object key, or the request part (`body`, `path`, `query`).
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// Every way a request can fail; [`IntoResponse`] maps each to its status in one place.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The body or a path parameter failed validation (422 with a list detail).
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    /// A query parameter is out of range or not a number (422 with a string detail naming it).
    #[error("{0}")]
    InvalidQuery(String),
    /// The body is larger than `TRACE_MAX_BYTES` (413).
    #[error("trace payload exceeds maximum size of {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// No trace has this id (404).
    #[error("trace with id {id} not found")]
    TraceNotFound {
        /// The id that was asked for.
        id: Uuid,
    },
    /// No route matches the path (404).
    #[error("no route for this path")]
    RouteNotFound,
    /// The route exists but not for this method (405).
    #[error("method not allowed for this path")]
    MethodNotAllowed,
    /// The connection broke while the body was being read (400).
    #[error("cannot read the request body")]
    BodyUnreadable(#[source] axum::Error),
    /// The database cannot be reached right now (503); the pool reconnects by itself.
    #[error("database unavailable")]
    DatabaseUnavailable(#[source] sqlx::Error),
    /// Anything else the database said (500); never caused by the request's content.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// A stored payload that is not JSON any more (500); the column type makes this unreachable.
    #[error("stored payload of trace {id} is not valid JSON")]
    CorruptPayload {
        /// The trace whose payload could not be read.
        id: Uuid,
        /// Why serde_json refused it.
        #[source]
        source: serde_json::Error,
    },
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            AppError::DatabaseUnavailable(err)
        } else {
            AppError::Database(err)
        }
    }
}

/// Whether `err` means "the server is not reachable now" rather than "this query failed".
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08 is "connection exception"; 57P01..57P03 are the server shutting down or
            // still starting; 53300 is "too many connections".
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, detail) = match &self {
            AppError::Validation(errors) => (StatusCode::UNPROCESSABLE_ENTITY, json!(errors)),
            AppError::InvalidQuery(message) => (StatusCode::UNPROCESSABLE_ENTITY, json!(message)),
            AppError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!(format!(
                    "Trace payload exceeds maximum size of {limit} bytes"
                )),
            ),
            AppError::TraceNotFound { id } => (
                StatusCode::NOT_FOUND,
                json!(format!("Trace with id {id} not found")),
            ),
            AppError::RouteNotFound => (StatusCode::NOT_FOUND, json!("Not Found")),
            AppError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, json!("Method Not Allowed"))
            }
            AppError::BodyUnreadable(err) => {
                tracing::debug!(error = %err, "request body could not be read");
                (
                    StatusCode::BAD_REQUEST,
                    json!("Failed to read the request body"),
                )
            }
            AppError::DatabaseUnavailable(err) => {
                tracing::warn!(error = %err, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!("Database unavailable, please retry later"),
                )
            }
            AppError::Database(err) => {
                tracing::error!(error = %err, "database error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!("Internal server error"),
                )
            }
            AppError::CorruptPayload { id, source } => {
                tracing::error!(%id, error = %source, "stored payload is not valid JSON");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!("Internal server error"),
                )
            }
        };
        (status, axum::Json(json!({ "detail": detail }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_serializes_like_fastapi() {
        let err = FieldError::new(
            vec![
                LocPart::Key("body"),
                LocPart::Key("steps"),
                LocPart::Index(2),
            ],
            "missing",
            "Field required",
        );
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"loc": ["body", "steps", 2], "msg": "Field required", "type": "missing"})
        );
    }

    #[test]
    fn connection_failures_are_unavailable_and_others_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
    }
}
