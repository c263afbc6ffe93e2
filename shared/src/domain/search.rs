//! Search normalisation (CUS-4): the keys a customer is found by, and how a query is read.

use crate::{CardNo, Phone};
use pinyin::ToPinyin;

/// Every key under which a name is indexed: the compact lower-case name and each of its
/// suffixes (so "小明" finds "张小明"), plus, for Chinese names, the full pinyin and the
/// pinyin initials ("zhangxiaoming", "zxm") so staff can search without a Chinese keyboard.
pub fn name_keys(name: &str) -> Vec<String> {
    let compact: Vec<char> = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let mut keys: Vec<String> = (0..compact.len())
        .map(|i| compact[i..].iter().collect())
        .collect();
    let mut full = String::new();
    let mut initials = String::new();
    let mut any_han = false;
    for c in compact.iter() {
        match c.to_pinyin() {
            Some(p) => {
                any_han = true;
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None => {
                full.push(*c);
                initials.push(*c);
            }
        }
    }
    if any_han {
        keys.push(full);
        keys.push(initials);
    }
    keys.sort();
    keys.dedup();
    keys
}

/// What a search box query means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A whole phone number.
    Phone(Phone),
    /// Four digits: the end of a phone number (or a name containing them).
    Last4(String),
    /// Anything else: a card number if it parses as one, and a name prefix.
    Text {
        name_prefix: String,
        card: Option<CardNo>,
    },
}

/// Reads a query typed by staff or scanned. Returns `None` for an empty query.
pub fn parse_query(q: &str) -> Option<Query> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    if q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Query::Last4(q.to_string()));
    }
    if let Ok(p) = Phone::parse(q) {
        return Some(Query::Phone(p));
    }
    let name_prefix: String = q
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .take(32)
        .collect();
    Some(Query::Text {
        name_prefix,
        card: CardNo::parse(q).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_name_keys() {
        let k = name_keys("张小明");
        for want in ["张小明", "小明", "明", "zhangxiaoming", "zxm"] {
            assert!(k.contains(&want.to_string()), "missing {want} in {k:?}");
        }
    }

    #[test]
    fn latin_name_keys() {
        let k = name_keys("Anna Li");
        assert!(k.contains(&"annali".to_string()));
        assert!(k.contains(&"li".to_string()));
        assert!(!k.iter().any(|s| s.contains(' ')));
    }

    #[test]
    fn queries() {
        assert_eq!(parse_query("  "), None);
        assert_eq!(parse_query("8000"), Some(Query::Last4("8000".into())));
        assert!(matches!(
            parse_query("138 0013 8000"),
            Some(Query::Phone(_))
        ));
        match parse_query("VIP-000123") {
            Some(Query::Text {
                card: Some(c),
                name_prefix,
            }) => {
                assert_eq!(c.as_str(), "VIP-000123");
                assert_eq!(name_prefix, "vip-000123");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            matches!(parse_query("Zxm"), Some(Query::Text { card: None, name_prefix }) if name_prefix == "zxm")
        );
    }
}
