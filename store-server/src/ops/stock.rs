//! Retail products and their stock (INV-1/2, the part checkout and service records need):
//! every movement is a ledger entry and stock never goes below zero.

use super::{Kind, OpError};
use crate::store::{StoreError, Tx, records_under, tables};
use redb::ReadTransaction;
use salon_shared::api::{Product, ProductInput, StockInput, StockMove, StockReason};
use salon_shared::text::{clean, label};
use salon_shared::{CheckoutId, DomainError, ProductId};

/// Why a stock operation refused.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    #[error("product not found")]
    NotFound,
    /// A product named in a sale, a record or a coupon that the store does not have.
    #[error("no product {0}")]
    Unknown(ProductId),
    #[error("{name}: {stock} in stock, {wanted} {verb}")]
    Insufficient {
        name: String,
        stock: i64,
        wanted: i64,
        /// What the stock was wanted for: "needed", "sold", "used".
        verb: &'static str,
    },
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for StockError {
    fn kind(&self) -> Kind {
        match self {
            StockError::NotFound => Kind::NotFound,
            StockError::Unknown(_) | StockError::Invalid(_) => Kind::Invalid,
            StockError::Insufficient { .. } => Kind::Conflict,
            StockError::Domain(e) => e.kind(),
            StockError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            StockError::NotFound => "not_found",
            StockError::Unknown(_) => "product_unknown",
            StockError::Insufficient { .. } => "stock_insufficient",
            StockError::Invalid(_) => "invalid",
            StockError::Domain(e) => e.code(),
            StockError::Store(e) => e.code(),
        }
    }
}

/// A product as sent by a manager, cleaned: name and brand trimmed, barcode checked.
pub fn validate(input: ProductInput) -> Result<ProductInput, StockError> {
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
            Some(_) => return Err(StockError::Invalid("barcode: 4–32 letters or digits")),
        },
        price: input.price,
    })
}

/// Adds a product to the catalog (stock starts at 0; receive stock to add some).
pub fn create(tx: &mut Tx, input: &ProductInput) -> Result<Product, StockError> {
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
    Ok(p)
}

/// Every product, active or not.
pub fn list(r: &ReadTransaction) -> Result<Vec<Product>, StoreError> {
    tables::PRODUCTS.all(r)
}

/// Stock received from a supplier (`receive`, positive) or corrected after a count
/// (`adjust`, either sign). Refused if it would leave less than nothing.
pub fn receive_or_adjust(
    tx: &mut Tx,
    id: ProductId,
    input: &StockInput,
) -> Result<Product, StockError> {
    let ok = match input.reason {
        StockReason::Receive => (1..=100_000).contains(&input.qty),
        StockReason::Adjust => input.qty != 0 && input.qty.abs() <= 100_000,
        _ => false,
    };
    if !ok {
        return Err(StockError::Invalid(
            "stock: 'receive' 1–100000 units, or 'adjust' by a non-zero amount up to 100000",
        ));
    }
    move_stock(tx, id, input.qty, input.reason, None, None)
}

/// A product's stock movements, oldest first.
pub fn moves(r: &ReadTransaction, id: ProductId) -> Result<Vec<StockMove>, StockError> {
    tables::PRODUCTS.get(r, id.0)?.ok_or(StockError::NotFound)?;
    Ok(records_under(r, &tables::STOCK_MOVES, id.0)?)
}

/// The product, refused when unknown.
pub fn product(tx: &Tx, id: ProductId) -> Result<Product, StockError> {
    tx.get(&tables::PRODUCTS, id.0)?
        .ok_or(StockError::Unknown(id))
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
) -> Result<Product, StockError> {
    let mut p = tx
        .get(&tables::PRODUCTS, id.0)?
        .ok_or(StockError::NotFound)?;
    let after = p.stock + qty;
    if after < 0 {
        return Err(StockError::Insufficient {
            name: p.name,
            stock: p.stock,
            wanted: -qty,
            verb: "needed",
        });
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
