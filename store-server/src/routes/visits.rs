//! Service records (REC-1/2): what was done in a visit, products used (which leave stock),
//! colour and perm formulas, notes. One record per queue ticket; saving again replaces it.

use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path};
use crate::store::{StoreError, link, tables};
use crate::writer::Reply;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use redb::ReadableDatabase;
use salon_shared::api::{ErrorBody, Formula, ProductUse, StockReason, Visit, VisitInput};
use salon_shared::text::{clean, clean_note};
use salon_shared::{Action, ProductId};
use std::collections::BTreeMap;

fn validate(input: VisitInput) -> Result<VisitInput, ApiError> {
    let bad = |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.to_string());
    if input.services.is_empty() || input.services.len() > 10 {
        return Err(bad("services: 1–10 services"));
    }
    if input.products_used.len() > 20
        || input
            .products_used
            .iter()
            .any(|u| !(1..=99).contains(&u.qty))
    {
        return Err(bad("products_used: at most 20 products, 1–99 of each"));
    }
    if input.formulas.len() > 10 {
        return Err(bad("formulas: at most 10"));
    }
    // One line per product, so stock moves by the total.
    let mut used: BTreeMap<ProductId, u32> = BTreeMap::new();
    for u in &input.products_used {
        *used.entry(u.product_id).or_default() += u.qty;
    }
    Ok(VisitInput {
        services: input.services,
        products_used: used
            .into_iter()
            .map(|(product_id, qty)| ProductUse { product_id, qty })
            .collect(),
        formulas: input
            .formulas
            .into_iter()
            .map(|f| {
                Ok(Formula {
                    kind: f.kind,
                    text: clean("formula", &f.text, 1, 300)?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        notes: clean_note("notes", &input.notes, 1000)?,
    })
}

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
) -> Result<Response, ApiError> {
    auth.require(Action::VisitWrite)?;
    let staff = super::checkout::cashier(&auth)?;
    let idem = auth.idem(&format!("PUT /visits/{ticket_id}"), &input);
    let input = validate(input)?;
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let ticket = tx.get(&tables::TICKETS, ticket_id)?.ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "ticket_not_found",
                        "no queue ticket with this id",
                    )
                })?;
                use salon_shared::queue::TicketState as S;
                if !matches!(ticket.state, S::InService | S::Done) {
                    return Err(ApiError::conflict(
                        "visit_not_started",
                        format!(
                            "ticket {} is {:?}: record a visit once it has started",
                            ticket.number, ticket.state
                        ),
                    ));
                }
                for sid in &input.services {
                    tx.get(&tables::SERVICES, sid.0)?.ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "service_unknown",
                            format!("no service {sid}"),
                        )
                    })?;
                }
                let before = tx.get(&tables::VISITS, ticket_id)?;
                let mut delta: BTreeMap<ProductId, i64> = BTreeMap::new();
                for u in before.iter().flat_map(|v| &v.products_used) {
                    *delta.entry(u.product_id).or_default() += i64::from(u.qty);
                }
                for u in &input.products_used {
                    super::products::product(tx, u.product_id)?;
                    *delta.entry(u.product_id).or_default() -= i64::from(u.qty);
                }
                // Check all stock before the first write.
                for (pid, d) in &delta {
                    let p = super::products::product(tx, *pid)?;
                    if p.stock + d < 0 {
                        return Err(ApiError::conflict(
                            "stock_insufficient",
                            format!("{}: {} in stock, {} used", p.name, p.stock, -d),
                        ));
                    }
                }
                let reason = if before.is_some() {
                    StockReason::UseCorrected
                } else {
                    StockReason::UseInService
                };
                for (pid, d) in delta {
                    if d != 0 {
                        super::products::move_stock(tx, pid, d, reason, None, Some(ticket_id))?;
                    }
                }
                let v = Visit {
                    ticket_id,
                    day: ticket.day,
                    customer_id: ticket.customer_id,
                    stylist: ticket.stylist,
                    services: input.services.clone(),
                    products_used: input.products_used.clone(),
                    formulas: input.formulas.clone(),
                    notes: input.notes.clone(),
                    recorded_at: tx.now,
                    recorded_by: staff,
                };
                tx.put(&tables::VISITS, ticket_id, &v)?;
                link(tx.w, tables::VISITS_BY_CUSTOMER, v.customer_id.0, ticket_id)?;
                tx.audit("visit.record", "customer", v.customer_id, &before, &v)?;
                tx.event("visit.recorded", ticket_id)?;
                Ok(Reply::ok(StatusCode::OK, &v))
            })
            .await,
    ))
}

#[utoipa::path(get, path = "/api/v1/visits/{ticket_id}", tag = "visits", params(("ticket_id" = u64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody)))]
pub async fn visit_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
) -> Result<axum::Json<Visit>, ApiError> {
    auth.require(Action::CustomerRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::VISITS
            .get(&r, ticket_id)?
            .ok_or_else(|| ApiError::not_found("visit record"))?,
    ))
}
