//! Retail products and their stock (INV-1/2, the part checkout and service records need):
//! every movement is a ledger entry and stock never goes below zero.

use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path};
use crate::store::{StoreError, records_under, tables};
use crate::writer::{Reply, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use redb::ReadableDatabase;
use salon_shared::api::{ErrorBody, Product, ProductInput, StockInput, StockMove, StockReason};
use salon_shared::text::{clean, label};
use salon_shared::{Action, CheckoutId, ProductId};

fn validate(input: ProductInput) -> Result<ProductInput, ApiError> {
    Ok(ProductInput {
        name: clean("name", &input.name, 1, 40)?,
        brand: if input.brand.trim().is_empty() {
            String::new()
        } else {
            label("brand", &input.brand)?
        },
        barcode: match input.barcode.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(b)
                if (4..=32).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Some(b.to_string())
            }
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "barcode: 4–32 letters or digits",
                ));
            }
        },
        price: input.price,
    })
}

/// Add a product to the catalog (stock starts at 0; receive stock to add some).
#[utoipa::path(post, path = "/api/v1/products", tag = "sales", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn product_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<ProductInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem("POST /products", &input);
    let input = validate(input)?;
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let p = Product {
                    id: ProductId(tx.next_id("product")?),
                    name: input.name.clone(),
                    brand: input.brand.clone(),
                    barcode: input.barcode.clone(),
                    price: input.price,
                    stock: 0,
                    active: true,
                    created_at: tx.now,
                };
                tx.put(&tables::PRODUCTS, p.id.0, &p)?;
                tx.audit(
                    "product.create",
                    "product",
                    p.id,
                    serde_json::Value::Null,
                    &p,
                )?;
                tx.event("product.changed", p.id)?;
                Ok(Reply::ok(StatusCode::CREATED, &p))
            })
            .await,
    ))
}

/// Every product, active or not.
#[utoipa::path(get, path = "/api/v1/products", tag = "sales",
    responses((status = 200, body = Vec<Product>), (status = 403, body = ErrorBody)))]
pub async fn product_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<Product>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(tables::PRODUCTS.all(&r)?))
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
) -> Result<Response, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem(&format!("POST /products/{id}/stock"), &input);
    let ok = match input.reason {
        StockReason::Receive => (1..=100_000).contains(&input.qty),
        StockReason::Adjust => input.qty != 0 && input.qty.abs() <= 100_000,
        _ => false,
    };
    if !ok {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "stock: 'receive' 1–100000 units, or 'adjust' by a non-zero amount up to 100000",
        ));
    }
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let p = move_stock(tx, ProductId(id), input.qty, input.reason, None, None)?;
                Ok(Reply::ok(StatusCode::OK, &p))
            })
            .await,
    ))
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
    let r = s.db.begin_read().map_err(StoreError::from)?;
    tables::PRODUCTS
        .get(&r, id)?
        .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(axum::Json(records_under(&r, &tables::STOCK_MOVES, id)?))
}

/// The product, refused when unknown.
pub fn product(tx: &Tx, id: ProductId) -> Result<Product, ApiError> {
    tx.get(&tables::PRODUCTS, id.0)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "product_unknown",
            format!("no product {id}"),
        )
    })
}

/// Moves stock by `qty` (negative takes), with its ledger entry and audit record; refused
/// with `stock_insufficient` when it would go below zero.
pub fn move_stock(
    tx: &mut Tx,
    id: ProductId,
    qty: i64,
    reason: StockReason,
    checkout: Option<CheckoutId>,
    ticket: Option<u64>,
) -> Result<Product, ApiError> {
    let mut p = tx
        .get(&tables::PRODUCTS, id.0)?
        .ok_or_else(|| ApiError::not_found("product"))?;
    let after = p.stock + qty;
    if after < 0 {
        return Err(ApiError::conflict(
            "stock_insufficient",
            format!("{}: {} in stock, {} needed", p.name, p.stock, -qty),
        ));
    }
    let before = p.stock;
    p.stock = after;
    let seq = tx.next_id("stock")?;
    tx.put(
        &tables::STOCK_MOVES,
        (id.0, seq),
        &StockMove {
            seq,
            product_id: id,
            at: tx.now,
            reason,
            qty,
            stock_after: after,
            checkout,
            ticket,
        },
    )?;
    tx.put(&tables::PRODUCTS, id.0, &p)?;
    tx.audit(
        &format!(
            "stock.{}",
            serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        ),
        "product",
        id,
        before,
        after,
    )?;
    tx.event("product.changed", id)?;
    Ok(p)
}
