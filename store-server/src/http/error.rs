//! `ApiError`: what a device is answered when a request fails, and the one mapping from the
//! operations' errors (their [`Kind`]) to HTTP statuses.

use crate::ops::{Kind, OpError};
use crate::store::WriteError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use salon_shared::api::{ErrorBody, ErrorDetail};

/// An error answered to a device: status, stable code, human message.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra facts for the device, e.g. the nearest free slots after a booking conflict.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// An internal failure: logged once here, never leaked in detail.
    pub fn internal(what: &str) -> ApiError {
        tracing::error!("internal error: {what}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the store server could not complete this request",
        )
    }
}

/// The status each kind of refusal is answered with.
fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadInput => StatusCode::BAD_REQUEST,
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl<E: OpError> From<E> for ApiError {
    fn from(e: E) -> Self {
        match e.kind() {
            Kind::Internal => ApiError::internal(&e.to_string()),
            kind => ApiError {
                status: status_of(kind),
                code: e.code(),
                message: e.to_string(),
                details: e.details(),
            },
        }
    }
}

impl<E: Into<ApiError>> From<WriteError<E>> for ApiError {
    fn from(e: WriteError<E>) -> Self {
        match e {
            WriteError::Refused(e) => e.into(),
            WriteError::KeyReused => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
            ),
            WriteError::Store(e) => e.into(),
            WriteError::Stopped => ApiError::internal("the writer has stopped"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                details: self.details,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}
