//! Answers for requests no route takes, in the same `{"detail": ...}` shape as every error.

use crate::error::AppError;

pub(crate) async fn not_found() -> AppError {
    AppError::RouteNotFound
}

pub(crate) async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
