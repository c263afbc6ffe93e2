//! Service records (REC-1/2) and the before/after photos of a visit.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, Query, created};
use crate::ops::visits;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use salon_shared::Action;
use salon_shared::api::{ErrorBody, PhotoQuery, Visit, VisitInput};

/// Records (or corrects) what was done in a visit. Products used leave stock; a correction
/// moves stock by the difference.
#[utoipa::path(put, path = "/api/v1/visits/{ticket_id}", tag = "visits", request_body = VisitInput,
    params(("ticket_id" = u64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn visit_put(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
    Json(input): Json<VisitInput>,
) -> Result<axum::Json<Visit>, ApiError> {
    auth.require(Action::VisitWrite)?;
    let staff = auth.cashier()?;
    let idem = auth.idem(&format!("PUT /visits/{ticket_id}"), &input);
    let input = visits::validate(input)?;
    let v = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            visits::record(tx, ticket_id, &input, staff)
        })
        .await?;
    Ok(axum::Json(v))
}

#[utoipa::path(get, path = "/api/v1/visits/{ticket_id}", tag = "visits", params(("ticket_id" = u64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody)))]
pub async fn visit_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
) -> Result<axum::Json<Visit>, ApiError> {
    auth.require(Action::CustomerRead)?;
    Ok(axum::Json(visits::get(&s.read()?, ticket_id)?))
}

/// Adds a before/after photo (JPEG or PNG, at most 2 MiB) to a recorded visit whose
/// customer agreed to photos (REC-1). At most six per visit.
#[utoipa::path(post, path = "/api/v1/visits/{ticket_id}/photos", tag = "visits",
    params(("ticket_id" = u64, Path), PhotoQuery, ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = Visit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn photo_add(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
    Query(q): Query<PhotoQuery>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Created<Visit>, ApiError> {
    auth.require(Action::VisitWrite)?;
    auth.cashier()?;
    let body = body.map_err(|r| {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "bad_body"
        };
        ApiError::new(status, code, r.body_text())
    })?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if !matches!(content_type.as_str(), "image/jpeg" | "image/png") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "a photo is sent as image/jpeg or image/png",
        ));
    }
    visits::check_image(&content_type, &body)?;
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
    let idem = auth.idem(
        &format!("POST /visits/{ticket_id}/photos"),
        &(&q.kind, &digest),
    );
    let v = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            visits::add_photo(tx, ticket_id, q.kind, &content_type, &body)
        })
        .await?;
    Ok(created(v))
}

/// One photo of a visit, as the image it is.
#[utoipa::path(get, path = "/api/v1/visits/{ticket_id}/photos/{n}", tag = "visits",
    params(("ticket_id" = u64, Path), ("n" = u32, Path)),
    responses((status = 200, body = Vec<u8>, content_type = "image/jpeg"), (status = 404, body = ErrorBody)))]
pub async fn photo_get(
    State(s): State<AppState>,
    auth: Auth,
    Path((ticket_id, n)): Path<(u64, u32)>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerRead)?;
    let (content_type, bytes) = visits::photo(&s.read()?, ticket_id, n)?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}
