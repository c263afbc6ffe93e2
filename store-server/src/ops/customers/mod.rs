//! Customers (CUS-1..6): profiles with their look-up indexes, edits with history, search,
//! merging duplicates, export and erasure; member cards (`cards`) and what the self-service
//! kiosk may learn and do (`kiosk`).

pub mod cards;
pub mod kiosk;

use super::devices::Throttled;
use super::money::{self, MoneyError};
use super::{Kind, OpError, feedback, notify, visits};
use crate::store::{StoreError, Tx, ids_under_id, index_prefix, tables};
use chrono::Datelike;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use salon_shared::api::*;
use salon_shared::card::CardStatus;
use salon_shared::customer::ValidPatch;
use salon_shared::search::{Query as SearchQuery, name_keys, parse_query};
use salon_shared::{CardNo, Customer, CustomerId, DomainError, MemberCard, Phone};

/// Why a customer operation refused.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    #[error("customer not found")]
    NotFound,
    #[error("this customer was merged into another or erased")]
    Inactive,
    #[error("this customer was already erased")]
    AlreadyErased,
    #[error("a phone number is required")]
    PhoneRequired,
    #[error("{0}")]
    PhoneTaken(&'static str),
    #[error("{0}")]
    ReferrerUnknown(&'static str),
    #[error("a customer cannot be merged into themselves")]
    MergeSelf,
    #[error("{0}")]
    BadQuery(&'static str),
    /// Nobody has this phone number or card (or they are no longer a customer).
    #[error("no customer with this phone number or card")]
    NotIdentified,
    #[error("{0}")]
    IdentifyOne(&'static str),
    #[error("registration needs the customer's consent to keep their data")]
    ConsentRequired,
    #[error("this card number is already in use")]
    CardTaken,
    #[error("this customer already has a card: replace it instead")]
    CardExists,
    #[error("card not found")]
    CardNotFound,
    #[error("card holder not found")]
    CardHolderNotFound,
    #[error("this card was already replaced")]
    CardReplaced,
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// Moving a duplicate's balances in a merge failed.
    #[error(transparent)]
    Money(Box<MoneyError>),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MoneyError> for CustomerError {
    fn from(e: MoneyError) -> Self {
        CustomerError::Money(Box::new(e))
    }
}

impl OpError for CustomerError {
    fn kind(&self) -> Kind {
        use CustomerError as E;
        match self {
            E::NotFound | E::NotIdentified | E::CardNotFound | E::CardHolderNotFound => {
                Kind::NotFound
            }
            E::Inactive
            | E::AlreadyErased
            | E::PhoneTaken(_)
            | E::CardTaken
            | E::CardExists
            | E::CardReplaced => Kind::Conflict,
            E::PhoneRequired | E::BadQuery(_) => Kind::BadInput,
            E::ReferrerUnknown(_) | E::MergeSelf | E::IdentifyOne(_) | E::ConsentRequired => {
                Kind::Invalid
            }
            E::Throttled(e) => e.kind(),
            E::Money(e) => e.kind(),
            E::Domain(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        use CustomerError as E;
        match self {
            E::NotFound | E::CardNotFound | E::CardHolderNotFound => "not_found",
            E::Inactive | E::AlreadyErased => "customer_inactive",
            E::PhoneRequired => "phone_invalid",
            E::PhoneTaken(_) => "phone_taken",
            E::ReferrerUnknown(_) => "referrer_unknown",
            E::MergeSelf => "merge_self",
            E::BadQuery(_) => "bad_query",
            E::NotIdentified => "customer_not_found",
            E::IdentifyOne(_) => "identify_one",
            E::ConsentRequired => "consent_required",
            E::CardTaken => "card_taken",
            E::CardExists => "card_exists",
            E::CardReplaced => "card_replaced",
            E::Throttled(e) => e.code(),
            E::Money(e) => e.code(),
            E::Domain(e) => e.code(),
            E::Store(e) => e.code(),
        }
    }
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            CustomerError::Money(e) => e.details(),
            _ => None,
        }
    }
}

/// Adds a customer's look-up keys to the indexes.
pub fn index(w: &WriteTransaction, c: &Customer) -> Result<(), StoreError> {
    let id = c.id.0;
    if let Some(p) = &c.phone {
        w.open_table(tables::CUSTOMER_BY_PHONE)?
            .insert(p.as_str(), id)?;
        w.open_table(tables::CUSTOMER_BY_LAST4)?
            .insert((p.last4(), id), ())?;
    }
    let mut t = w.open_table(tables::CUSTOMER_BY_NAME)?;
    for k in name_keys(&c.name) {
        t.insert((k.as_str(), id), ())?;
    }
    Ok(())
}

/// Removes a customer's look-up keys (before an edit, a merge or an erasure).
pub fn unindex(w: &WriteTransaction, c: &Customer) -> Result<(), StoreError> {
    let id = c.id.0;
    if let Some(p) = &c.phone {
        let mut t = w.open_table(tables::CUSTOMER_BY_PHONE)?;
        let owner = t.get(p.as_str())?.map(|v| v.value());
        if owner == Some(id) {
            t.remove(p.as_str())?;
        }
        w.open_table(tables::CUSTOMER_BY_LAST4)?
            .remove((p.last4(), id))?;
    }
    let mut t = w.open_table(tables::CUSTOMER_BY_NAME)?;
    for k in name_keys(&c.name) {
        t.remove((k.as_str(), id))?;
    }
    Ok(())
}

fn phone_owner(w: &WriteTransaction, phone: &str) -> Result<Option<u64>, StoreError> {
    Ok(w.open_table(tables::CUSTOMER_BY_PHONE)?
        .get(phone)?
        .map(|v| v.value()))
}

/// The customer, who must exist and be live.
pub fn active(tx: &Tx, id: CustomerId) -> Result<Customer, CustomerError> {
    let c = tx
        .get(&tables::CUSTOMERS, id.0)?
        .ok_or(CustomerError::NotFound)?;
    if !c.is_active() {
        return Err(CustomerError::Inactive);
    }
    Ok(c)
}

/// Registers a customer: shared by staff devices and the kiosk. `c` is already validated.
pub fn create(tx: &mut Tx, mut c: Customer) -> Result<Customer, CustomerError> {
    let phone = c.phone.clone().ok_or(CustomerError::PhoneRequired)?;
    if phone_owner(tx.w, phone.as_str())?.is_some() {
        return Err(CustomerError::PhoneTaken(
            "a customer with this phone number already exists",
        ));
    }
    if let Some(r) = c.referrer {
        tx.get(&tables::CUSTOMERS, r.0)?
            .ok_or(CustomerError::ReferrerUnknown(
                "the referrer is not a customer",
            ))?;
    }
    c.id = CustomerId(tx.next_id("customer")?);
    c.registered_at = tx.now;
    c.consent_at = c.consent_at.map(|_| tx.now);
    tx.put(&tables::CUSTOMERS, c.id.0, &c)?;
    index(tx.w, &c)?;
    tx.audit(
        "customer.create",
        "customer",
        c.id,
        serde_json::Value::Null,
        &c,
    )?;
    tx.event("customer.created", c.id)?;
    Ok(c)
}

/// Finds the customer checking in or rating a visit — by id, phone or card — or registers
/// them from `draft`. Exactly one way must be given.
pub fn resolve(
    tx: &mut Tx,
    c: &CheckInCustomer,
    draft: Option<&Customer>,
) -> Result<Customer, CustomerError> {
    let id = match (c.id, &c.phone, &c.card, draft) {
        (Some(id), None, None, None) => id,
        (None, Some(p), None, None) => {
            let p = Phone::parse(p)?;
            CustomerId(phone_owner(tx.w, p.as_str())?.ok_or(CustomerError::NotIdentified)?)
        }
        (None, None, Some(card), None) => {
            let card = CardNo::parse(card)?;
            tx.get(&tables::CARDS, card.as_str())?
                .filter(|c| c.status == CardStatus::Active)
                .ok_or(CustomerError::NotIdentified)?
                .customer_id
        }
        (None, None, None, Some(d)) => return create(tx, d.clone()),
        _ => {
            return Err(CustomerError::IdentifyOne(
                "identify the customer by exactly one of id, phone, card or register",
            ));
        }
    };
    tx.get(&tables::CUSTOMERS, id.0)?
        .filter(Customer::is_active)
        .ok_or(CustomerError::NotIdentified)
}

fn cards_of(r: &ReadTransaction, id: CustomerId) -> Result<Vec<MemberCard>, StoreError> {
    let t = r.open_table(tables::CARDS_BY_CUSTOMER)?;
    let mut out = Vec::new();
    for item in t.range((id.0, "")..=(id.0, "\u{10ffff}"))? {
        let (k, _) = item?;
        if let Some(card) = tables::CARDS.get(r, k.value().1)? {
            out.push(card);
        }
    }
    Ok(out)
}

/// A customer's full profile with their cards.
pub fn detail(r: &ReadTransaction, id: CustomerId) -> Result<CustomerDetail, CustomerError> {
    let customer = tables::CUSTOMERS
        .get(r, id.0)?
        .ok_or(CustomerError::NotFound)?;
    let cards = cards_of(r, customer.id)?;
    Ok(CustomerDetail { customer, cards })
}

/// Edits a profile; the change is audited with before and after.
pub fn update(tx: &mut Tx, id: CustomerId, valid: &ValidPatch) -> Result<Customer, CustomerError> {
    let before = active(tx, id)?;
    if let Some(p) = valid.phone()
        && phone_owner(tx.w, p.as_str())?.is_some_and(|owner| owner != id.0)
    {
        return Err(CustomerError::PhoneTaken(
            "another customer has this phone number",
        ));
    }
    if let Some(r) = valid.referrer()
        && (r == id || tx.get(&tables::CUSTOMERS, r.0)?.is_none())
    {
        return Err(CustomerError::ReferrerUnknown(
            "the referrer must be another customer",
        ));
    }
    let mut after = before.clone();
    after.apply(valid.clone(), tx.now);
    unindex(tx.writing(), &before)?;
    index(tx.w, &after)?;
    tx.put(&tables::CUSTOMERS, id.0, &after)?;
    tx.audit("customer.update", "customer", id, &before, &after)?;
    tx.event("customer.updated", id)?;
    Ok(after)
}

const SEARCH_CANDIDATES: usize = 2_000;

fn candidates(r: &ReadTransaction, q: &SearchQuery) -> Result<Vec<u64>, StoreError> {
    let mut ids = Vec::new();
    match q {
        SearchQuery::Phone(p) => {
            if let Some(v) = r.open_table(tables::CUSTOMER_BY_PHONE)?.get(p.as_str())? {
                ids.push(v.value());
            }
        }
        SearchQuery::Last4(d) => {
            ids = index_prefix(r, tables::CUSTOMER_BY_LAST4, d, SEARCH_CANDIDATES)?;
            ids.extend(index_prefix(
                r,
                tables::CUSTOMER_BY_NAME,
                d,
                SEARCH_CANDIDATES,
            )?);
        }
        SearchQuery::Text { name_prefix, card } => {
            if let Some(card) = card
                && let Some(c) = tables::CARDS.get(r, card.as_str())?
            {
                ids.push(c.customer_id.0);
            }
            ids.extend(index_prefix(
                r,
                tables::CUSTOMER_BY_NAME,
                name_prefix,
                SEARCH_CANDIDATES,
            )?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    Ok(ids)
}

fn matches(c: &Customer, f: &CustomerQuery) -> bool {
    c.is_active()
        && f.tag.as_ref().is_none_or(|t| c.tags.contains(t.trim()))
        && f.tier.is_none_or(|t| c.tier == t)
        && f.source.is_none_or(|s| c.source == s)
        && f.birthday_month
            .is_none_or(|m| c.birthday.is_some_and(|b| b.month() == m))
        && f.visited_since
            .is_none_or(|d| c.last_visit_at.is_some_and(|v| v.date_naive() >= d))
        && f.not_visited_since
            .is_none_or(|d| c.last_visit_at.is_none_or(|v| v.date_naive() < d))
        && f.min_spend.is_none_or(|m| c.total_spend >= m)
}

/// Search (phone, last 4 digits, name or pinyin initials, card number) and filtered lists.
pub fn search(r: &ReadTransaction, f: &CustomerQuery) -> Result<CustomerPage, CustomerError> {
    let limit = f.limit.unwrap_or(50);
    if limit == 0 || limit > 200 {
        return Err(CustomerError::BadQuery("limit must be 1–200"));
    }
    if f.birthday_month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(CustomerError::BadQuery("birthday_month must be 1–12"));
    }
    if f.q.as_ref().is_some_and(|q| q.chars().count() > 64) {
        return Err(CustomerError::BadQuery("q is at most 64 characters"));
    }
    let offset = f.offset.unwrap_or(0);
    let mut hits: Vec<Customer> = Vec::new();
    let filtered = f.tag.is_some()
        || f.tier.is_some()
        || f.source.is_some()
        || f.birthday_month.is_some()
        || f.visited_since.is_some()
        || f.not_visited_since.is_some()
        || f.min_spend.is_some();
    match f.q.as_deref().and_then(parse_query) {
        // The front desk's search: only live customers are in the indexes, so the page is
        // read and the rest only counted (a common name's initials match thousands).
        Some(q) if !filtered => {
            let ids = candidates(r, &q)?;
            let mut items = Vec::new();
            for id in ids.iter().skip(offset).take(limit) {
                if let Some(c) = tables::CUSTOMERS.get(r, *id)?.filter(Customer::is_active) {
                    items.push(CustomerSummary::from(&c));
                }
            }
            return Ok(CustomerPage {
                items,
                total: ids.len(),
            });
        }
        Some(q) => {
            for id in candidates(r, &q)? {
                if let Some(c) = tables::CUSTOMERS.get(r, id)?
                    && matches(&c, f)
                {
                    hits.push(c);
                }
            }
        }
        None => {
            let t = r
                .open_table(tables::CUSTOMERS.definition())
                .map_err(StoreError::from)?;
            for item in t.iter().map_err(StoreError::from)? {
                let (_, v) = item.map_err(StoreError::from)?;
                let c = tables::CUSTOMERS.decode(v.value())?;
                if matches(&c, f) {
                    hits.push(c);
                }
            }
        }
    }
    let total = hits.len();
    let items = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(CustomerSummary::from)
        .collect();
    Ok(CustomerPage { items, total })
}

/// Audit entries of one customer, including duplicates merged into them.
fn history_of(r: &ReadTransaction, c: &Customer) -> Result<Vec<AuditEntry>, StoreError> {
    let t = r.open_table(tables::AUDIT_BY_ENTITY)?;
    let mut out = Vec::new();
    for id in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        let key = format!("customer:{id}");
        for item in t.range((key.as_str(), 0u64)..=(key.as_str(), u64::MAX))? {
            let (k, _) = item?;
            if let Some(e) = tables::AUDIT.get(r, k.value().1)? {
                out.push(e);
            }
        }
    }
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

/// The edit history of a profile (who, when, before, after).
pub fn history(r: &ReadTransaction, id: CustomerId) -> Result<Vec<AuditEntry>, CustomerError> {
    let c = tables::CUSTOMERS
        .get(r, id.0)?
        .ok_or(CustomerError::NotFound)?;
    Ok(history_of(r, &c)?)
}

/// A customer's ratings, with those of the duplicates merged into them (the same person,
/// as in [`history`]), by day, then ticket.
fn feedback_of(r: &ReadTransaction, c: &Customer) -> Result<Vec<Feedback>, StoreError> {
    let mut out = Vec::new();
    for id in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        for ticket in ids_under_id(r, tables::FEEDBACK_BY_CUSTOMER, id.0)? {
            if let Some(f) = tables::FEEDBACK.get(r, ticket)? {
                out.push(f);
            }
        }
    }
    out.sort_by_key(|f| (f.day, f.ticket_id));
    Ok(out)
}

/// Folds a duplicate into this customer, keeping both histories, cards, balances and totals.
pub fn merge(
    tx: &mut Tx,
    id: CustomerId,
    duplicate: CustomerId,
) -> Result<Customer, CustomerError> {
    if duplicate == id {
        return Err(CustomerError::MergeSelf);
    }
    let keep = active(tx, id)?;
    let dup = active(tx, duplicate)?;
    let mut after = keep.clone();
    after.absorb(&dup);
    let mut dup_after = dup.clone();
    dup_after.status = salon_shared::CustomerStatus::Merged { into: keep.id };
    dup_after.card = None;
    unindex(tx.writing(), &dup)?;
    unindex(tx.w, &keep)?;
    index(tx.w, &after)?;
    // Every card the duplicate held now belongs to the kept customer.
    let cards: Vec<String> = {
        let t =
            tx.w.open_table(tables::CARDS_BY_CUSTOMER)
                .map_err(StoreError::from)?;
        let mut v = Vec::new();
        for item in t
            .range((dup.id.0, "")..=(dup.id.0, "\u{10ffff}"))
            .map_err(StoreError::from)?
        {
            v.push(item.map_err(StoreError::from)?.0.value().1.to_string());
        }
        v
    };
    for no in &cards {
        if let Some(mut card) = tx.get(&tables::CARDS, no.as_str())? {
            card.customer_id = keep.id;
            tx.put(&tables::CARDS, no.as_str(), &card)?;
        }
        let mut t =
            tx.w.open_table(tables::CARDS_BY_CUSTOMER)
                .map_err(StoreError::from)?;
        t.remove((dup.id.0, no.as_str()))
            .map_err(StoreError::from)?;
        t.insert((keep.id.0, no.as_str()), ())
            .map_err(StoreError::from)?;
    }
    money::absorb(tx, dup.id, keep.id)?;
    tx.put(&tables::CUSTOMERS, id.0, &after)?;
    tx.put(&tables::CUSTOMERS, dup.id.0, &dup_after)?;
    tx.audit("customer.merge", "customer", id, &keep, &after)?;
    tx.audit("customer.merged_into", "customer", dup.id, &dup, &dup_after)?;
    tx.event("customer.updated", id)?;
    tx.event("customer.merged", dup.id)?;
    Ok(after)
}

/// A customer's service records, with those of the duplicates merged into them.
fn visits_of(r: &ReadTransaction, c: &Customer) -> Result<Vec<Visit>, StoreError> {
    let mut out = Vec::new();
    for id in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        for t in ids_under_id(r, tables::VISITS_BY_CUSTOMER, id.0)? {
            if let Some(v) = tables::VISITS.get(r, t)? {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Everything the store holds about a customer (CUS-6), as JSON; the export is audited.
pub fn export(tx: &mut Tx, db: &Database, id: CustomerId) -> Result<CustomerExport, CustomerError> {
    let customer = tx
        .get(&tables::CUSTOMERS, id.0)?
        .ok_or(CustomerError::NotFound)?;
    // Read the committed state; this transaction's own audit entry is added below.
    let r = db.begin_read().map_err(StoreError::from)?;
    let export = CustomerExport {
        exported_at: tx.now,
        cards: cards_of(&r, customer.id)?,
        history: history_of(&r, &customer)?,
        feedback: feedback_of(&r, &customer)?,
        visits: visits_of(&r, &customer)?,
        customer,
    };
    tx.writing();
    tx.audit(
        "customer.export",
        "customer",
        id,
        serde_json::Value::Null,
        serde_json::json!({"exported": true}),
    )?;
    Ok(export)
}

/// Erases a customer's personal data on request (CUS-6). Sales totals stay, anonymised;
/// personal data in the customer's audit entries is redacted in the same transaction, and
/// so are the duplicates merged into them, who are the same person.
pub fn erase(tx: &mut Tx, id: CustomerId) -> Result<Customer, CustomerError> {
    let before = tx
        .get(&tables::CUSTOMERS, id.0)?
        .ok_or(CustomerError::NotFound)?;
    if matches!(before.status, salon_shared::CustomerStatus::Erased { .. }) {
        return Err(CustomerError::AlreadyErased);
    }
    let mut after = before.clone();
    after.erase(tx.now);
    unindex(tx.writing(), &before)?;
    tx.put(&tables::CUSTOMERS, id.0, &after)?;
    forget_person(tx, before.id)?;
    for dup_id in &before.merged_from {
        if let Some(dup) = tx.get(&tables::CUSTOMERS, dup_id.0)? {
            let mut gone = dup.clone();
            gone.erase(tx.now);
            unindex(tx.w, &dup)?;
            tx.put(&tables::CUSTOMERS, dup_id.0, &gone)?;
        }
        forget_person(tx, *dup_id)?;
    }
    tx.audit(
        "customer.erase",
        "customer",
        id,
        serde_json::Value::Null,
        serde_json::json!({"erased": true}),
    )?;
    tx.event("customer.erased", id)?;
    Ok(after)
}

/// Everything personal about one customer id beyond the profile: the history's before and
/// after, bookings still to come and their messages, rating comments and photos.
fn forget_person(tx: &mut Tx, id: CustomerId) -> Result<(), StoreError> {
    redact_history(tx.w, id)?;
    forget_messages(tx, id)?;
    feedback::forget_comments(tx, id)?;
    visits::forget_customer_photos(tx, id)
}

/// Cancels the customer's bookings still to come (freeing the stylists' time) and withdraws
/// and strips the reminders sent or due to them.
fn forget_messages(tx: &mut Tx, id: CustomerId) -> Result<(), StoreError> {
    let appointments = ids_under_id(tx.w, tables::APPOINTMENTS_BY_CUSTOMER, id.0)?;
    for aid in &appointments {
        if let Some(mut a) = tx.get(&tables::APPOINTMENTS, *aid)?
            && a.state == salon_shared::schedule::AppointmentState::Booked
        {
            a.state = salon_shared::schedule::AppointmentState::Cancelled;
            tx.put(&tables::APPOINTMENTS, *aid, &a)?;
            tx.event("appointment.cancelled", aid)?;
        }
    }
    notify::forget(tx, &appointments)
}

fn redact_history(w: &WriteTransaction, id: CustomerId) -> Result<(), StoreError> {
    let key = format!("customer:{id}");
    let seqs: Vec<u64> = {
        let t = w.open_table(tables::AUDIT_BY_ENTITY)?;
        let mut v = Vec::new();
        for item in t.range((key.as_str(), 0u64)..=(key.as_str(), u64::MAX))? {
            v.push(item?.0.value().1);
        }
        v
    };
    for seq in seqs {
        if let Some(mut e) = tables::AUDIT.get_w(w, seq)? {
            let redacted = serde_json::json!({"redacted": "erased on the customer's request"});
            e.before = if e.before.is_null() {
                e.before
            } else {
                redacted.clone()
            };
            e.after = if e.after.is_null() { e.after } else { redacted };
            tables::AUDIT.put(w, seq, &e)?;
        }
    }
    Ok(())
}
