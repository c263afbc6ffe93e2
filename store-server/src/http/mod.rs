//! The HTTP edge: the API under `/api/v1`, assembled with its OpenAPI document so that every
//! route is described. Handlers (in `routes`, one module per route family) extract the
//! request, check the caller's role, call one operation and map its result; `error` is the
//! one mapping from the operations' errors to HTTP answers.

pub mod auth;
pub mod error;
pub mod extract;
pub mod routes;

pub use auth::Auth;
pub use error::ApiError;
pub use extract::{Json, Path, Query};

/// A created resource: `201 Created` with its JSON.
pub type Created<T> = (StatusCode, axum::Json<T>);

/// Answers `201 Created` with `t`.
pub fn created<T>(t: T) -> Created<T> {
    (StatusCode::CREATED, axum::Json(t))
}

use crate::{AppState, BODY_LIMIT};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use routes::{
    audit, cards, checkout, customers, devices, events, feedback, health, kiosk, members, notify,
    products, queue, schedule, services, staff, visits,
};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Salon store server API", description = "LAN API of the salon store server. Authenticate with 'Authorization: Bearer <device token>' from pairing; retried writes carry 'Idempotency-Key'. Errors are {\"error\":{\"code\",\"message\"}}."),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The router and its OpenAPI document, built together so neither can miss a route.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::openapi_json))
        .routes(routes!(events::events))
        .routes(routes!(devices::pairing_code_create))
        .routes(routes!(devices::pair))
        .routes(routes!(devices::device_list))
        .routes(routes!(devices::device_revoke))
        .routes(routes!(devices::me))
        .routes(routes!(devices::session_create))
        .routes(routes!(devices::session_delete))
        .routes(routes!(audit::audit_list))
        .routes(routes!(
            customers::customer_create,
            customers::customer_search
        ))
        .routes(routes!(customers::customer_get, customers::customer_update))
        .routes(routes!(customers::customer_history))
        .routes(routes!(customers::customer_merge))
        .routes(routes!(customers::customer_export))
        .routes(routes!(customers::customer_erase))
        .routes(routes!(kiosk::kiosk_identify))
        .routes(routes!(kiosk::kiosk_register))
        .routes(routes!(services::service_create, services::service_list))
        .routes(routes!(services::service_get, services::service_update))
        .routes(routes!(services::service_retire))
        .routes(routes!(services::service_restore))
        .routes(routes!(staff::staff_create, staff::staff_list))
        .routes(routes!(staff::staff_get, staff::staff_update))
        .routes(routes!(cards::card_issue))
        .routes(routes!(cards::card_get))
        .routes(routes!(cards::card_replace))
        .routes(routes!(queue::checkin_create))
        .routes(routes!(queue::checkin_quote))
        .routes(routes!(queue::queue_get))
        .routes(routes!(queue::queue_move))
        .routes(routes!(queue::queue_reassign))
        .routes(routes!(queue::queue_reorder))
        .routes(routes!(queue::rotation_get))
        .routes(routes!(queue::rotation_adjust))
        .routes(routes!(queue::balk_create))
        .routes(routes!(queue::report_waits))
        .routes(routes!(schedule::roster_get, schedule::roster_put))
        .routes(routes!(
            schedule::appointment_create,
            schedule::appointment_list
        ))
        .routes(routes!(
            schedule::appointment_get,
            schedule::appointment_update
        ))
        .routes(routes!(schedule::appointment_cancel))
        .routes(routes!(schedule::availability))
        .routes(routes!(schedule::settings_get, schedule::settings_put))
        .routes(routes!(schedule::report_no_shows))
        .routes(routes!(feedback::feedback_create, feedback::feedback_list))
        .routes(routes!(feedback::report_ratings))
        .routes(routes!(notify::outbox_list))
        .routes(routes!(notify::outbox_retry))
        .routes(routes!(
            notify::notify_settings_get,
            notify::notify_settings_put
        ))
        .routes(routes!(products::product_create, products::product_list))
        .routes(routes!(products::stock_move, products::stock_list))
        .routes(routes!(visits::visit_put, visits::visit_get))
        .routes(routes!(visits::photo_get))
        .merge(
            // Photos are the one body larger than the API's limit.
            OpenApiRouter::new()
                .routes(routes!(visits::photo_add))
                .layer(DefaultBodyLimit::max(crate::ops::visits::PHOTO_LIMIT)),
        )
        .routes(routes!(checkout::checkout_preview))
        .routes(routes!(checkout::checkout_create, checkout::checkout_list))
        .routes(routes!(checkout::checkout_get))
        .routes(routes!(checkout::checkout_refund))
        .routes(routes!(checkout::checkout_receipt))
        .routes(routes!(checkout::cash_up))
        .routes(routes!(
            members::member_settings_get,
            members::member_settings_put
        ))
        .routes(routes!(members::top_up))
        .routes(routes!(
            members::package_plan_create,
            members::package_plan_list
        ))
        .routes(routes!(members::package_sell))
        .routes(routes!(
            members::coupon_def_create,
            members::coupon_def_list
        ))
        .routes(routes!(members::coupon_issue))
        .routes(routes!(members::customer_overview))
        .routes(routes!(members::customer_ledgers))
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (router, doc) = api();
    health::set_document(doc);
    router
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(close_after_unread_body))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a request handler panicked").into_response()
        }))
        .with_state(state)
}

/// A body refused for its size was not read to its end, so the server closes the
/// connection after answering. Saying so in the answer keeps a client from sending its next
/// request down that connection (which then fails as a network error).
async fn close_after_unread_body(mut res: axum::response::Response) -> axum::response::Response {
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
        res.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    res
}
