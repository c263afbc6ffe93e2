//! The printable receipt (PAY-4): plain text, Chinese with English, every line of the bill
//! in the order it was applied, the payments, change and the balances left.

use crate::StoreInfo;
use salon_shared::api::{CheckoutKind, CheckoutView};
use salon_shared::bill::{PayMethod, Step};
use std::fmt::Write;

const RULE: &str = "--------------------------------";

fn method(m: PayMethod) -> &'static str {
    match m {
        PayMethod::Cash => "现金 Cash",
        PayMethod::Mobile => "移动支付 Mobile",
        PayMethod::StoredValue => "储值卡 Stored value",
    }
}

fn line(out: &mut String, label: &str, amount: impl std::fmt::Display) {
    let _ = writeln!(out, "{label}  {amount}");
}

pub fn render(
    info: &StoreInfo,
    v: &CheckoutView,
    cashier: Option<&str>,
    stylist: Option<&str>,
) -> String {
    let co = &v.checkout;
    let mut out = String::new();
    let _ = writeln!(out, "{}", info.store_name);
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(out, "单号 No.  {}", co.number);
    let _ = writeln!(
        out,
        "时间 Time  {}",
        co.at.with_timezone(&info.tz).format("%Y-%m-%d %H:%M")
    );
    if let Some(n) = &co.customer_name {
        let _ = writeln!(out, "顾客 Customer  {n}");
    }
    if let Some(s) = stylist {
        let _ = writeln!(out, "发型师 Stylist  {s}");
    }
    let _ = writeln!(out, "{RULE}");
    match (&co.kind, &co.bill) {
        (CheckoutKind::Sale { .. }, Some(b)) => {
            for i in &b.items {
                let _ = writeln!(out, "{}", i.name);
                line(
                    &mut out,
                    &format!("  {} x {}", i.unit_price, i.qty),
                    i.amount,
                );
            }
            let _ = writeln!(out, "{RULE}");
            line(&mut out, "小计 Subtotal", b.subtotal);
            for a in &b.adjustments {
                let label = match &a.step {
                    Step::Package {
                        name,
                        uses,
                        remaining,
                        ..
                    } => {
                        format!("{name} 抵扣 x{uses}（剩余 {remaining} 次）")
                    }
                    Step::TierDiscount { percent, .. } => format!("会员折扣 Member -{percent}%"),
                    Step::Coupon { name, .. } => format!("优惠券 Coupon {name}"),
                    Step::Points { points } => format!("积分抵扣 Points {points}"),
                };
                line(&mut out, &label, format!("-{}", a.amount));
            }
            if b.tier_discount_skipped {
                let _ = writeln!(
                    out,
                    "（此券不与会员折扣同享 coupon not combined with member discount）"
                );
            }
        }
        (CheckoutKind::TopUp { paid, bonus }, _) => {
            line(&mut out, "储值充值 Top-up", paid);
            line(&mut out, "赠送 Bonus", bonus);
        }
        (CheckoutKind::PackageSale { .. }, _) => {
            line(&mut out, "购买次卡 Package", co.due);
        }
        (CheckoutKind::Sale { .. }, None) => {}
    }
    let _ = writeln!(out, "{RULE}");
    line(&mut out, "应付 Due", co.due);
    for p in &co.settlement.payments {
        match &p.reference {
            Some(r) => line(&mut out, &format!("{} ({r})", method(p.method)), p.amount),
            None => line(&mut out, method(p.method), p.amount),
        }
    }
    if !co.settlement.change.amount().is_zero() {
        line(&mut out, "实收现金 Cash given", co.settlement.cash_tendered);
        line(&mut out, "找零 Change", co.settlement.change);
    }
    if co.effects.points_earned > 0 {
        line(&mut out, "本次积分 Points earned", co.effects.points_earned);
    }
    if let Some(b) = co.stored_value_after {
        line(&mut out, "储值余额 Balance", b);
    }
    if let Some(p) = co.points_after {
        line(&mut out, "积分余额 Points", p);
    }
    if let Some(c) = cashier {
        let _ = writeln!(out, "收银 Cashier  {c}");
    }
    if let Some(r) = &v.refund {
        let _ = writeln!(out, "{RULE}");
        let _ = writeln!(
            out,
            "已退款 REFUNDED  {}",
            r.at.with_timezone(&info.tz).format("%Y-%m-%d %H:%M")
        );
        let _ = writeln!(out, "原因 Reason  {}", r.reason);
    }
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(out, "谢谢惠顾 Thank you!");
    out
}
