//! Member cards (MEM-2): issue, look up by the scanned number, replace a lost card.
//! Balances belong to the customer, so a replacement keeps them.

use super::{CustomerError, active};
use crate::store::{StoreError, Tx, tables};
use redb::ReadTransaction;
use salon_shared::api::{CardLookup, CustomerSummary};
use salon_shared::card::CardStatus;
use salon_shared::{CardNo, CustomerId, MemberCard};

/// The number for a new card: the one given, or the next free store number.
fn new_number(tx: &mut Tx, given: Option<&CardNo>) -> Result<CardNo, CustomerError> {
    if let Some(n) = given {
        if tx.get(&tables::CARDS, n.as_str())?.is_some() {
            return Err(CustomerError::CardTaken);
        }
        return Ok(n.clone());
    }
    loop {
        let n = CardNo::parse(&format!("88{:08}", tx.next_id("card")?))?;
        if tx.get(&tables::CARDS, n.as_str())?.is_none() {
            return Ok(n);
        }
    }
}

fn put_card(tx: &mut Tx, card: &MemberCard) -> Result<(), StoreError> {
    tx.put(&tables::CARDS, card.number.as_str(), card)?;
    tx.w.open_table(tables::CARDS_BY_CUSTOMER)?
        .insert((card.customer_id.0, card.number.as_str()), ())?;
    Ok(())
}

/// Issues a member card to a customer who has none in use.
pub fn issue(
    tx: &mut Tx,
    customer_id: CustomerId,
    given: Option<&CardNo>,
) -> Result<MemberCard, CustomerError> {
    let before = active(tx, customer_id)?;
    if before.card.is_some() {
        return Err(CustomerError::CardExists);
    }
    let number = new_number(tx, given)?;
    let card = MemberCard {
        number: number.clone(),
        customer_id,
        issued_at: tx.now,
        status: CardStatus::Active,
    };
    put_card(tx, &card)?;
    let mut after = before.clone();
    after.card = Some(number.clone());
    tx.put(&tables::CUSTOMERS, customer_id.0, &after)?;
    tx.audit(
        "card.issue",
        "customer",
        customer_id,
        &before.card,
        &after.card,
    )?;
    tx.event("card.issued", number)?;
    Ok(card)
}

/// A card by its number (what a scanner reads), with its holder.
pub fn lookup(r: &ReadTransaction, number: &CardNo) -> Result<CardLookup, CustomerError> {
    let card = tables::CARDS
        .get(r, number.as_str())?
        .ok_or(CustomerError::CardNotFound)?;
    let customer = tables::CUSTOMERS
        .get(r, card.customer_id.0)?
        .filter(|c| c.is_active())
        .ok_or(CustomerError::CardHolderNotFound)?;
    Ok(CardLookup {
        card,
        customer: CustomerSummary::from(&customer),
    })
}

/// Replaces a lost card: the old number stops working, balances and history stay.
pub fn replace(
    tx: &mut Tx,
    old_no: &CardNo,
    given: Option<&CardNo>,
) -> Result<MemberCard, CustomerError> {
    let old = tx
        .get(&tables::CARDS, old_no.as_str())?
        .ok_or(CustomerError::CardNotFound)?;
    if old.status != CardStatus::Active {
        return Err(CustomerError::CardReplaced);
    }
    let before = active(tx, old.customer_id)?;
    let number = new_number(tx, given)?;
    let card = MemberCard {
        number: number.clone(),
        customer_id: old.customer_id,
        issued_at: tx.now,
        status: CardStatus::Active,
    };
    let retired = MemberCard {
        status: CardStatus::Replaced {
            by: number.clone(),
            at: tx.now,
        },
        ..old.clone()
    };
    tx.put(&tables::CARDS, old_no.as_str(), &retired)?;
    put_card(tx, &card)?;
    let mut after = before.clone();
    after.card = Some(number.clone());
    tx.put(&tables::CUSTOMERS, before.id.0, &after)?;
    tx.audit("card.replace", "customer", before.id, &old, &card)?;
    tx.event("card.replaced", number)?;
    Ok(card)
}
