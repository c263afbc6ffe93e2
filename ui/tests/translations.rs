//! Every text the screens show has its Chinese translation: a missing one would show
//! English to a customer who never chose it.

use std::collections::BTreeSet;
use std::path::Path;

fn unquote(s: &str) -> String {
    let inner = s.trim().trim_start_matches('"').trim_end_matches('"');
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

#[test]
fn every_screen_text_has_a_chinese_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wanted = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("ui")).expect("ui folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("slint file");
        for piece in text.split("@tr(\"").skip(1) {
            let end = piece.find("\"").expect("closing quote");
            wanted.insert(piece[..end].to_string());
        }
    }
    assert!(wanted.len() > 50, "found only {} texts", wanted.len());
    let po = std::fs::read_to_string(root.join("lang/zh_CN/LC_MESSAGES/salon-ui.po"))
        .expect("the Chinese catalogue");
    let mut translated = BTreeSet::new();
    let mut id: Option<String> = None;
    for line in po.lines() {
        if let Some(rest) = line.strip_prefix("msgid ") {
            id = Some(unquote(rest));
        } else if let Some(rest) = line.strip_prefix("msgstr ")
            && let Some(i) = id.take()
            && !i.is_empty()
            && !unquote(rest).is_empty()
        {
            translated.insert(i);
        }
    }
    let missing: Vec<_> = wanted.difference(&translated).collect();
    assert!(missing.is_empty(), "no Chinese for {missing:?}");
}
