//! Tidy checks over the workspace's own source, as rust-analyzer keeps its house rules: every
//! source file says what it is for in a `//!` line, no non-test file grows past ~1,500
//! lines, route modules never import one another, and each layer of the store server
//! imports only the layers below it. A rule this test checks stays true.

use std::path::{Path, PathBuf};

/// The longest a non-test source file may grow before it is split by what it does.
const MAX_LINES: usize = 1_500;

/// The workspace's member crates, whose sources are checked.
const MEMBERS: [&str; 5] = ["shared", "store-server", "kiosk", "ui", "tests"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace root")
        .to_path_buf()
}

/// Every `.rs` and `.slint` file under `dir`, skipping build output.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "slint") {
            out.push(path);
        }
    }
}

/// A source file as the checks see it: its path from the workspace root and its text.
struct Source {
    path: String,
    text: String,
}

fn workspace() -> Vec<Source> {
    let root = root();
    let mut files = Vec::new();
    for member in MEMBERS {
        sources(&root.join(member), &mut files);
    }
    let mut out: Vec<Source> = files
        .into_iter()
        .map(|p| Source {
            text: std::fs::read_to_string(&p).expect("a source file is text"),
            path: p
                .strip_prefix(&root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/"),
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    // Loud rather than vacuous: a wrong root would find nothing and pass.
    assert!(
        out.len() > 100,
        "found only {} source files under {}",
        out.len(),
        root.display()
    );
    out
}

/// Test code: integration tests, and unit tests kept in a `tests.rs` beside their module.
fn is_test(path: &str) -> bool {
    path.starts_with("tests/tests/") || path.contains("/tests/") || path.ends_with("/tests.rs")
}

/// The code of `text` without comments, so a doc line that names a module is not an import.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails with every violation listed, one per line.
fn check(rule: &str, violations: Vec<String>) {
    assert!(
        violations.is_empty(),
        "{rule}:\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let missing = workspace()
        .into_iter()
        .filter(|s| s.path.ends_with(".rs"))
        .filter(|s| {
            !s.text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with("//!"))
        })
        .map(|s| s.path)
        .collect();
    check("these files do not open with a `//!` line", missing);
}

#[test]
fn no_source_file_outgrows_a_reader() {
    let long = workspace()
        .into_iter()
        .filter(|s| !is_test(&s.path))
        .filter_map(|s| {
            let n = s.text.lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", s.path))
        })
        .collect();
    check(
        &format!("split these files by what they do (over {MAX_LINES} lines)"),
        long,
    );
}

#[test]
fn route_modules_never_import_each_other() {
    let files = workspace();
    let routes: Vec<&Source> = files
        .iter()
        .filter(|s| s.path.starts_with("store-server/src/http/routes/"))
        .filter(|s| !s.path.ends_with("/mod.rs"))
        .collect();
    assert!(routes.len() > 10, "found {} route modules", routes.len());
    let mut bad = Vec::new();
    for s in routes {
        let code = code(&s.text);
        for needle in ["super::", "http::routes::", "crate::http::routes"] {
            if code.contains(needle) {
                bad.push(format!("{} uses `{needle}`", s.path));
            }
        }
    }
    check(
        "a route module imports another (share an operation in `ops` instead)",
        bad,
    );
}

#[test]
fn store_server_layers_import_only_downwards() {
    // Each layer, and what its code must never name.
    let rules: [(&str, &[&str]); 3] = [
        (
            "store-server/src/store/",
            &[
                "axum",
                "crate::http",
                "crate::ops",
                "crate::jobs",
                "StatusCode",
            ],
        ),
        (
            "store-server/src/ops/",
            &["axum", "crate::http", "crate::jobs", "StatusCode"],
        ),
        (
            "store-server/src/jobs/",
            &["axum", "crate::http", "StatusCode"],
        ),
    ];
    let files = workspace();
    let mut bad = Vec::new();
    for (layer, forbidden) in rules {
        let in_layer: Vec<&Source> = files.iter().filter(|s| s.path.starts_with(layer)).collect();
        assert!(!in_layer.is_empty(), "no files in {layer}");
        for s in in_layer {
            let code = code(&s.text);
            for needle in forbidden {
                if code.contains(needle) {
                    bad.push(format!("{} names `{needle}`", s.path));
                }
            }
        }
    }
    check("a layer of the store server reaches upwards", bad);
}
