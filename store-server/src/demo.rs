//! Demo data: a realistic Chinese salon (staff, catalog, 200+ customers with cards), written
//! through the same write path as the API. Only ever fills an empty store.

use crate::ops::customers;
use crate::ops::money::MoneyError;
use crate::store::{Actor, Writer};
use crate::store::{StoreError, tables};
use chrono::{Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redb::{Database, ReadableDatabase, ReadableTableMetadata};
use rust_decimal::Decimal;
use salon_shared::customer::{AgeBand, Care, Gender, NewCustomer, Source, Tier};
use salon_shared::schedule::{Appointment, AppointmentState, DayHours, Roster};
use salon_shared::service::ServiceInput;
use salon_shared::staff::{StaffInput, StaffLevel, StaffRole};
use salon_shared::{CardNo, CustomerId, MemberCard, Money, ServiceCategory, ServiceId, StaffId};
use std::collections::BTreeMap;

/// The demo store's name.
pub const STORE_NAME: &str = "悦美发艺 Yuemei Hair Studio";

/// The demo staff: name, role, level, skills, PIN.
pub const STAFF: &[(&str, StaffRole, StaffLevel, &[ServiceCategory], &str)] = {
    use ServiceCategory::*;
    &[
        (
            "林店长",
            StaffRole::Manager,
            StaffLevel::Director,
            &[CutStyle, Colour, Perm, HairCare],
            "1111",
        ),
        (
            "小周",
            StaffRole::FrontDesk,
            StaffLevel::Junior,
            &[HairCare],
            "2222",
        ),
        (
            "Tony 陈",
            StaffRole::Stylist,
            StaffLevel::Director,
            &[CutStyle, Colour, Perm, HairCare],
            "3333",
        ),
        (
            "Kevin 王",
            StaffRole::Stylist,
            StaffLevel::Senior,
            &[CutStyle, Colour, Perm, HairCare],
            "4444",
        ),
        (
            "阿杰",
            StaffRole::Stylist,
            StaffLevel::Stylist,
            &[CutStyle, Perm, HairCare],
            "5555",
        ),
        (
            "Lily 张",
            StaffRole::Stylist,
            StaffLevel::Stylist,
            &[CutStyle, Colour, HairCare],
            "6666",
        ),
        (
            "小美",
            StaffRole::Beautician,
            StaffLevel::Senior,
            &[SkinCare, Other],
            "7777",
        ),
        (
            "Coco 刘",
            StaffRole::Beautician,
            StaffLevel::Stylist,
            &[Nails, SkinCare],
            "8888",
        ),
        (
            "小雨",
            StaffRole::Stylist,
            StaffLevel::Junior,
            &[HairCare, CutStyle],
            "9999",
        ),
    ]
};

/// The demo catalog: category, name, price in CNY, minutes, description.
const SERVICES: &[(ServiceCategory, &str, i64, u16, &str)] = {
    use ServiceCategory::*;
    &[
        (
            CutStyle,
            "洗剪吹 Wash, cut & blow-dry",
            68,
            45,
            "含洗发、修剪、吹造型",
        ),
        (CutStyle, "精剪 Precision cut", 98, 50, "设计师一对一咨询"),
        (CutStyle, "男士快剪 Men's quick cut", 38, 20, ""),
        (CutStyle, "儿童剪发 Kids' cut", 38, 25, "12岁以下"),
        (CutStyle, "洗吹造型 Wash & style", 48, 30, ""),
        (CutStyle, "盘发造型 Updo", 168, 60, "婚礼、宴会"),
        (CutStyle, "刘海修剪 Fringe trim", 20, 10, ""),
        (Colour, "时尚染发 Fashion colour", 388, 120, "含护色"),
        (Colour, "补染发根 Root touch-up", 198, 75, ""),
        (Colour, "挑染 Highlights", 468, 150, ""),
        (Colour, "植物染 Herbal colour", 458, 120, "适合敏感头皮"),
        (Colour, "白发遮盖 Grey coverage", 258, 90, ""),
        (Colour, "漂发 Bleach", 328, 120, "可能需要多次"),
        (Perm, "数码烫 Digital perm", 588, 150, ""),
        (Perm, "冷烫 Cold perm", 388, 120, ""),
        (Perm, "离子直发 Rebonding", 488, 150, ""),
        (Perm, "男士纹理烫 Men's texture perm", 288, 90, ""),
        (Perm, "局部烫 Partial perm", 198, 60, ""),
        (HairCare, "头皮护理 Scalp treatment", 168, 45, ""),
        (HairCare, "深层修护 Deep repair mask", 198, 40, ""),
        (HairCare, "角蛋白护理 Keratin treatment", 680, 120, ""),
        (HairCare, "头部按摩 Head massage", 88, 30, ""),
        (HairCare, "防脱养护 Anti-hair-loss care", 268, 60, ""),
        (SkinCare, "深层清洁面部 Deep cleansing facial", 298, 60, ""),
        (SkinCare, "补水面膜护理 Hydrating facial", 238, 60, ""),
        (
            SkinCare,
            "敏感肌舒缓 Soothing facial",
            328,
            75,
            "敏感肌适用",
        ),
        (SkinCare, "眼部护理 Eye treatment", 168, 40, ""),
        (SkinCare, "肩颈按摩 Neck & shoulder massage", 158, 45, ""),
        (Nails, "基础美甲 Basic manicure", 88, 45, ""),
        (Nails, "光疗甲 Gel nails", 198, 75, ""),
        (Nails, "美甲卸甲 Gel removal", 38, 20, ""),
        (Nails, "手部护理 Hand spa", 98, 30, ""),
        (Nails, "足部护理 Pedicure", 168, 60, ""),
        (Other, "新娘跟妆 Bridal make-up", 1280, 180, "含试妆一次"),
        (Other, "化妆 Make-up", 288, 60, ""),
        (Other, "修眉 Brow shaping", 48, 20, ""),
    ]
};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗",
];
const GIVEN_F: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "婷", "雪", "慧", "欣怡", "雨涵", "梓涵", "思琪", "佳怡", "晓燕",
    "美玲",
];
const GIVEN_M: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "子轩", "浩然", "宇航", "俊杰", "志明", "建国",
];
const TAGS: &[&str] = &[
    "高端客户",
    "烫染爱好者",
    "敏感肌",
    "学生",
    "上班族",
    "喜欢安静",
    "常客",
    "新客",
    "VIP",
    "价格敏感",
];
const ALLERGIES: &[&str] = &[
    "PPD 染发剂过敏",
    "香精过敏",
    "乳胶过敏",
    "头皮敏感",
    "坚果油过敏",
];
const REGIONS: &[&str] = &["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "通州区"];
const BRANDS: &[&str] = &["欧莱雅", "施华蔻", "卡诗", "资生堂", "威娜"];

/// True when the store holds no customers, services or staff yet.
pub fn is_empty(db: &Database) -> Result<bool, StoreError> {
    let r = db.begin_read()?;
    let n = |def| -> Result<u64, StoreError> { Ok(r.open_table(def)?.len()?) };
    Ok(n(tables::CUSTOMERS.definition())? == 0
        && n(tables::SERVICES.definition())? == 0
        && n(tables::STAFF.definition())? == 0)
}

/// Fills an empty store with the demo salon; returns false (and changes nothing) otherwise.
pub fn fill(
    db: &Database,
    writer: &Writer,
    customers: usize,
    tz: FixedOffset,
) -> anyhow::Result<bool> {
    if !is_empty(db)? {
        return Ok(false);
    }
    add_staff_and_services(writer)?;
    add_customers(writer, customers, 20261123)?;
    add_appointments(writer, tz)?;
    add_money(writer, customers)?;
    Ok(true)
}

/// The demo staff with their rosters, and the demo catalog.
pub fn add_staff_and_services(writer: &Writer) -> anyhow::Result<()> {
    writer.write_blocking(Actor::system("demo data"), move |tx| {
        for (i, (name, role, level, skills, pin)) in STAFF.iter().enumerate() {
            let input = StaffInput {
                name: name.to_string(),
                role: *role,
                level: *level,
                skills: skills.iter().copied().collect(),
                pin: Some(pin.to_string()),
                active: true,
            };
            let id = StaffId(tx.next_id("staff")?);
            let staff = input.into_staff(id, None, format!("demo-salt-{i}"))?;
            tx.put(&tables::STAFF, id.0, &staff)?;
            // 10:00–21:00 with one day off a week, a different day for each person.
            let hours = DayHours {
                start: NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
                end: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default(),
            };
            let mut weekly = [Some(hours); 7];
            weekly[(i + 2) % 7] = None;
            tx.put(
                &tables::ROSTERS,
                id.0,
                &Roster {
                    weekly,
                    exceptions: Vec::new(),
                },
            )?;
            tx.audit(
                "staff.create",
                "staff",
                id,
                serde_json::Value::Null,
                staff.view(),
            )?;
        }
        for (cat, name, price, minutes, desc) in SERVICES {
            let base = Decimal::from(*price);
            // Senior stylists and directors charge more for hair services (SVC-1).
            let mut level_prices = BTreeMap::new();
            if matches!(
                cat,
                ServiceCategory::CutStyle | ServiceCategory::Colour | ServiceCategory::Perm
            ) {
                level_prices.insert(
                    StaffLevel::Senior,
                    Money::new((base * Decimal::new(12, 1)).round())?,
                );
                level_prices.insert(
                    StaffLevel::Director,
                    Money::new((base * Decimal::new(15, 1)).round())?,
                );
            }
            let input = ServiceInput {
                category: *cat,
                name: name.to_string(),
                description: desc.to_string(),
                suitable_for: String::new(),
                price: Money::new(base)?,
                level_prices,
                duration_min: *minutes,
            }
            .validate()?;
            let id = ServiceId(tx.next_id("service")?);
            let svc = input.into_service(id, tx.now);
            tx.put(&tables::SERVICES, id.0, &svc)?;
            tx.audit(
                "service.create",
                "service",
                id,
                serde_json::Value::Null,
                &svc,
            )?;
        }
        Ok::<(), MoneyError>(())
    })?;
    Ok(())
}

/// Retail products with stock, package plans, a coupon, and member balances: the first
/// customers hold stored value (carried over from an earlier system, so no sale today),
/// points, a package and a coupon, so the tablet's checkout has every benefit to show.
pub fn add_money(writer: &Writer, customers: usize) -> anyhow::Result<()> {
    use crate::ops::money::ledgers::{
        package_entry, points_entry, post_value, save_wallet, wallet,
    };
    use salon_shared::api::Product;
    use salon_shared::coupon::{Coupon, CouponDef, CouponKind, CouponState};
    use salon_shared::ledger::{Package, PackagePlan, PackageReason, PointsReason, ValueReason};
    use salon_shared::{CheckoutId, CouponDefId, CouponId, PackageId, ProductId};
    writer.write_blocking(Actor::system("demo data"), move |tx| {
        let money = |d: i64| Money::new(Decimal::from(d));
        for (name, brand, price, stock) in [
            ("修护洗发水 Repair shampoo", "Aveda", 168, 24),
            ("护色发膜 Colour mask", "Kérastase", 298, 12),
            ("造型发蜡 Styling wax", "Schwarzkopf", 88, 30),
            ("染膏 Colour tube", "Wella", 45, 60),
        ] {
            let p = Product {
                id: ProductId(tx.next_id("product")?),
                name: name.into(),
                brand: brand.into(),
                barcode: None,
                price: money(price)?,
                stock,
                active: true,
                created_at: tx.now,
            };
            tx.put(&tables::PRODUCTS, p.id.0, &p)?;
        }
        // The wash & blow-dry (service 1) as a package: 10 for the price of 8.
        let wash = tx.get(&tables::SERVICES, 1)?;
        let plan = wash
            .map(|w| -> Result<PackagePlan, MoneyError> {
                Ok(PackagePlan {
                    id: tx.next_id("package_plan")?,
                    name: "10次卡".into(),
                    service_id: w.id,
                    uses: 10,
                    price: Money::new(w.price.amount() * Decimal::from(8))?,
                    valid_days: Some(365),
                    active: true,
                })
            })
            .transpose()?;
        if let Some(p) = &plan {
            tx.put(&tables::PACKAGE_PLANS, p.id, p)?;
        }
        let today = tx.now.date_naive();
        let def = CouponDef {
            id: CouponDefId(tx.next_id("coupon_def")?),
            name: "满200减30".into(),
            kind: CouponKind::Threshold {
                min_spend: money(200)?,
                off: money(30)?,
            },
            valid_from: today - Duration::days(30),
            valid_to: today + Duration::days(60),
            per_customer_limit: 1,
            stacks_with_tier: true,
            active: true,
            created_at: tx.now,
        };
        tx.put(&tables::COUPON_DEFS, def.id.0, &def)?;
        for c in 1..=(customers.min(40) as u64) {
            let cid = CustomerId(c);
            let mut w = wallet(tx.w, cid)?;
            post_value(
                tx,
                cid,
                &mut w,
                ValueReason::TopUp,
                Decimal::from(200 + 100 * (c % 5) as i64),
                None,
            )?;
            w.points.earn(300 + 50 * (c % 7), None);
            let n = w.points.balance() as i64;
            points_entry(tx, cid, &w, PointsReason::Earned, n, None)?;
            save_wallet(tx, cid, &w)?;
            if let Some(plan) = &plan
                && c % 2 == 1
            {
                let mut p = Package {
                    id: PackageId(tx.next_id("package")?),
                    customer_id: cid,
                    plan: plan.id,
                    name: plan.name.clone(),
                    service_id: plan.service_id,
                    uses: plan.uses,
                    remaining: 0,
                    price: plan.price,
                    sold_at: tx.now,
                    expires_on: Some(today + Duration::days(300)),
                    sale: CheckoutId(0),
                    refunded: false,
                };
                package_entry(tx, &mut p, PackageReason::Bought, 10 - (c % 4) as i64, None)?;
                crate::store::link(tx.w, tables::PACKAGES_BY_CUSTOMER, c, p.id.0)?;
            }
            let coupon = Coupon {
                id: CouponId(tx.next_id("coupon")?),
                def: def.id,
                customer_id: cid,
                issued_at: tx.now,
                state: CouponState::Issued,
            };
            tx.put(&tables::COUPONS, coupon.id.0, &coupon)?;
            crate::store::link(tx.w, tables::COUPONS_BY_CUSTOMER, c, coupon.id.0)?;
        }
        Ok::<(), MoneyError>(())
    })?;
    Ok(())
}

/// Writes `n` realistic synthetic customers (some with member cards), reproducible from
/// `seed`, through the writer in chunks. Phone numbers are unique per seed.
pub fn add_customers(writer: &Writer, n: usize, seed: u64) -> anyhow::Result<()> {
    let actor = Actor::system("demo data");
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let mut drafts = Vec::with_capacity(n);
    let prefixes = ["138", "139", "136", "150", "186", "177", "199"];
    for i in 0..n {
        let female = rng.random_bool(0.7);
        let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let given = if female {
            GIVEN_F[rng.random_range(0..GIVEN_F.len())]
        } else {
            GIVEN_M[rng.random_range(0..GIVEN_M.len())]
        };
        // A bijection of the index keeps numbers unique without a lookup.
        let phone = format!(
            "{}{:08}",
            prefixes[(seed as usize + i / 100_000_000) % prefixes.len()],
            (i as u64 * 48_271 + seed) % 100_000_000
        );
        let registered_days = rng.random_range(0..900);
        let mut tags = std::collections::BTreeSet::new();
        for _ in 0..rng.random_range(0..3) {
            tags.insert(TAGS[rng.random_range(0..TAGS.len())].to_string());
        }
        let allergies = if rng.random_bool(0.12) {
            vec![ALLERGIES[rng.random_range(0..ALLERGIES.len())].to_string()]
        } else {
            vec![]
        };
        let draft = NewCustomer {
            name: format!("{surname}{given}"),
            phone,
            gender: if female { Gender::Female } else { Gender::Male },
            birthday: if rng.random_bool(0.6) {
                NaiveDate::from_ymd_opt(
                    rng.random_range(1965..2008),
                    rng.random_range(1..=12),
                    rng.random_range(1..=28),
                )
            } else {
                None
            },
            age_band: if rng.random_bool(0.2) {
                Some(
                    [
                        AgeBand::From18To25,
                        AgeBand::From26To35,
                        AgeBand::From36To45,
                        AgeBand::From46To60,
                    ][rng.random_range(0..4)],
                )
            } else {
                None
            },
            wechat: if rng.random_bool(0.5) {
                Some(format!("wx_{}{i}", rng.random_range(100..999)))
            } else {
                None
            },
            email: None,
            source: [
                Source::WalkIn,
                Source::Referral,
                Source::Advertising,
                Source::Online,
                Source::PasserBy,
            ][rng.random_range(0..5)],
            referrer: None,
            region: Some(REGIONS[rng.random_range(0..REGIONS.len())].to_string()),
            consent: true,
            care: Care {
                usual_services: vec![ServiceId(rng.random_range(1..=SERVICES.len() as u64))],
                preferred_stylist: if rng.random_bool(0.5) {
                    Some(StaffId(rng.random_range(3..=6)))
                } else {
                    None
                },
                preferred_brands: if rng.random_bool(0.3) {
                    vec![BRANDS[rng.random_range(0..BRANDS.len())].to_string()]
                } else {
                    vec![]
                },
                allergies,
                hair_type: Some(
                    ["细软", "粗硬", "自然卷", "油性", "干性"][rng.random_range(0..5)].to_string(),
                ),
                skin_type: None,
                notes: if rng.random_bool(0.15) {
                    "喜欢安静，不爱聊天".into()
                } else {
                    String::new()
                },
            },
            tags,
        };
        let mut c = draft.validate(CustomerId(0), now)?;
        let visits = rng.random_range(0..30u32);
        c.visit_count = visits;
        c.total_spend = Decimal::from(visits as i64 * rng.random_range(60..400i64));
        c.tier = match c.total_spend.try_into().unwrap_or(0i64) {
            s if s >= 8000 => Tier::Platinum,
            s if s >= 4000 => Tier::Gold,
            s if s >= 1500 => Tier::Silver,
            _ => Tier::Normal,
        };
        c.last_visit_at =
            (visits > 0).then(|| now - Duration::days(rng.random_range(1..registered_days.max(2))));
        drafts.push((c, rng.random_bool(0.4), registered_days));
    }
    // Chunks keep the fill to a handful of commits rather than one per customer.
    for chunk in drafts.chunks(500) {
        let chunk = chunk.to_vec();
        writer.write_blocking(actor.clone(), move |tx| {
            for (c, card, registered_days) in &chunk {
                let mut c = customers::create(tx, c.clone())?;
                c.registered_at = tx.now - Duration::days(*registered_days);
                if *card {
                    let number = CardNo::parse(&format!("88{:08}", tx.next_id("card")?))?;
                    let mc = MemberCard {
                        number: number.clone(),
                        customer_id: c.id,
                        issued_at: c.registered_at,
                        status: salon_shared::CardStatus::Active,
                    };
                    tx.put(&tables::CARDS, number.as_str(), &mc)?;
                    tx.w.open_table(tables::CARDS_BY_CUSTOMER)
                        .map_err(StoreError::from)?
                        .insert((c.id.0, number.as_str()), ())
                        .map_err(StoreError::from)?;
                    c.card = Some(number);
                }
                tx.put(&tables::CUSTOMERS, c.id.0, &c)?;
            }
            Ok::<(), MoneyError>(())
        })?;
    }
    Ok(())
}

/// A few bookings for tomorrow, so the appointment screens have something to show.
fn add_appointments(writer: &Writer, tz: FixedOffset) -> anyhow::Result<()> {
    writer.write_blocking(Actor::system("demo data"), move |tx| {
        let tomorrow = tx.now.with_timezone(&tz).date_naive() + Duration::days(1);
        let mut customer = 1u64;
        for stylist in [3u64, 4, 5, 6] {
            let Some(shift) = tx
                .get(&tables::ROSTERS, stylist)?
                .and_then(|r| r.shift_on(tomorrow, tz))
            else {
                continue;
            };
            for (hour, service) in [(1, 1u64), (4, 8)] {
                let Some(svc) = tx.get(&tables::SERVICES, service)? else {
                    continue;
                };
                let Some(staff) = tx.get(&tables::STAFF, stylist)? else {
                    continue;
                };
                if !staff.can_perform(svc.category) {
                    continue;
                }
                let start = shift.start + Duration::hours(hour);
                let id = tx.next_id("appointment")?;
                let a = Appointment {
                    id,
                    customer_id: CustomerId(customer),
                    stylist_id: StaffId(stylist),
                    services: vec![ServiceId(service)],
                    start,
                    end: start + Duration::minutes(i64::from(svc.duration_min)),
                    state: AppointmentState::Booked,
                    note: String::new(),
                    created_at: tx.now,
                    ticket_id: None,
                };
                customer += 1;
                tx.put(&tables::APPOINTMENTS, id, &a)?;
                let day = tomorrow.to_string();
                tx.w.open_table(tables::APPOINTMENTS_BY_DAY)
                    .map_err(StoreError::from)?
                    .insert((day.as_str(), id), ())
                    .map_err(StoreError::from)?;
                tx.w.open_table(tables::APPOINTMENTS_BY_CUSTOMER)
                    .map_err(StoreError::from)?
                    .insert((a.customer_id.0, id), ())
                    .map_err(StoreError::from)?;
            }
        }
        Ok::<(), MoneyError>(())
    })?;
    Ok(())
}
