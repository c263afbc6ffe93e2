//! Extractors whose rejections use the API's error shape: `Json` (which also insists on a
//! JSON object), `Path` and `Query`.

use super::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "content_type",
            _ => "bad_json",
        };
        // Report malformed bodies as 400 and well-formed but wrong ones as 422.
        ApiError::new(status, code, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", r.body_text())
    }
}

/// `Json` whose rejections use the API's error shape. Every request body is a JSON
/// object: serde would also read a struct from an array of its fields (`[7]` as
/// `{"stylist":7}`, `[]` as a struct whose fields all have defaults), so that is refused.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let headers = req.headers().clone();
        // Read within the route's body limit, then checked and parsed as before.
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                let code = match r.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
                    _ => "bad_json",
                };
                ApiError::new(r.status(), code, r.body_text())
            })?;
        let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let mut again = axum::extract::Request::new(axum::body::Body::from(bytes));
        *again.headers_mut() = headers;
        let axum::Json(value) = axum::Json::<T>::from_request(again, state).await?;
        if !object {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_json",
                "the body must be a JSON object",
            ));
        }
        Ok(Json(value))
    }
}

/// `Path` whose rejections use the API's error shape.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `Query` whose rejections use the API's error shape.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
