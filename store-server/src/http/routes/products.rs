//! Retail products and their stock movements (INV-1/2).

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, created};
use crate::ops::stock;
use axum::extract::State;
use salon_shared::api::{ErrorBody, Product, ProductInput, StockInput, StockMove};
use salon_shared::{Action, ProductId};

/// Add a product to the catalog (stock starts at 0; receive stock to add some).
#[utoipa::path(post, path = "/api/v1/products", tag = "sales", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn product_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<ProductInput>,
) -> Result<Created<Product>, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem("POST /products", &input);
    let input = stock::validate(input)?;
    let p = s
        .writer
        .write(auth.actor(), idem, move |tx| stock::create(tx, &input))
        .await?;
    Ok(created(p))
}

/// Every product, active or not.
#[utoipa::path(get, path = "/api/v1/products", tag = "sales",
    responses((status = 200, body = Vec<Product>), (status = 403, body = ErrorBody)))]
pub async fn product_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<Product>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.read()?;
    Ok(axum::Json(stock::list(&r)?))
}

/// Stock received from a supplier (`receive`, positive) or corrected after a count
/// (`adjust`, either sign). Refused if it would leave less than nothing.
#[utoipa::path(post, path = "/api/v1/products/{id}/stock", tag = "sales", request_body = StockInput,
    params(("id" = u64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stock_move(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<StockInput>,
) -> Result<axum::Json<Product>, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem(&format!("POST /products/{id}/stock"), &input);
    let p = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            stock::receive_or_adjust(tx, ProductId(id), &input)
        })
        .await?;
    Ok(axum::Json(p))
}

/// A product's stock movements, oldest first.
#[utoipa::path(get, path = "/api/v1/products/{id}/stock", tag = "sales", params(("id" = u64, Path)),
    responses((status = 200, body = Vec<StockMove>), (status = 404, body = ErrorBody)))]
pub async fn stock_list(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Vec<StockMove>>, ApiError> {
    auth.require(Action::SalesManage)?;
    let r = s.read()?;
    Ok(axum::Json(stock::moves(&r, ProductId(id))?))
}
