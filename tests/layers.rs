//! The layers of `src/` depend on each other only in the documented direction
//! (ARCHITECTURE.md): `ffi`/`jni`/`bin` → `engine` → `client`, `server` → `device` → `hwmgr` →
//! `core`, with `error`, `runtime`, `logging` and `cipher` below everything. This test reads
//! every source file (its non-test code: a trailing `#[cfg(test)] mod tests` is left out) and
//! fails on any `crate::` path, `super::` escape or `haptix::` path that points against the
//! direction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may use besides itself.
fn allowed() -> BTreeMap<&'static str, Vec<&'static str>> {
    /// Below everything: any module may use these, and they use nothing of the crate.
    const LEAVES: [&str; 4] = ["error", "runtime", "logging", "cipher"];
    /// Each layer with the layers it may use, from the top down (beside the leaves).
    const LAYERS: [(&str, &[&str]); 8] = [
        (
            "jni",
            &[
                "ffi", "engine", "client", "server", "device", "hwmgr", "core",
            ],
        ),
        (
            "ffi",
            &["engine", "client", "server", "device", "hwmgr", "core"],
        ),
        ("engine", &["client", "server", "device", "hwmgr", "core"]),
        ("client", &["core"]),
        ("server", &["device", "hwmgr", "core"]),
        ("device", &["hwmgr", "core"]),
        ("hwmgr", &["core"]),
        ("core", &[]),
    ];
    let mut m = BTreeMap::new();
    for (layer, below) in LAYERS {
        m.insert(layer, below.iter().copied().chain(LEAVES).collect());
    }
    for leaf in LEAVES {
        m.insert(leaf, Vec::new());
    }
    // `error` describes failures in the protocol's own terms
    m.insert("error", vec!["core"]);
    m
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without its trailing unit-test module.
fn non_test_code(text: &str) -> &str {
    let mut cut = text.len();
    for marker in [
        "#[cfg(test)]\nmod tests",
        "#[cfg(test)]\npub(crate) mod",
        "#[cfg(test)]\nmod ",
    ] {
        if let Some(i) = text.find(marker) {
            cut = cut.min(i);
        }
    }
    &text[..cut]
}

/// The top-level modules named by `crate::X` paths in `code`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            let after = &rest[i + "crate::".len()..];
            // `haptix_crate::` or `$crate::` are not ours
            if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$')) {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_lowercase()) {
                    found.insert(name);
                }
            }
            rest = after;
        }
    }
    found
}

#[test]
fn imports_follow_the_documented_direction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = allowed();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under src");
        let first = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_string();
        if first == "lib" || first == "bin" {
            // the facade and the command-line tool may use everything
            continue;
        }
        let Some(may_use) = allowed.get(first.as_str()) else {
            violations.push(format!(
                "{}: module `{first}` has no place in the layering (add it to this test and to \
                 ARCHITECTURE.md)",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable source");
        checked += 1;
        for used in crate_paths(non_test_code(&text)) {
            if used != first && !may_use.contains(&used.as_str()) {
                violations.push(format!(
                    "{}: `{first}` uses `crate::{used}`",
                    relative.display()
                ));
            }
        }
    }
    assert!(checked > 50, "only {checked} files were read");
    assert!(
        violations.is_empty(),
        "{} imports against the documented direction:\n{}",
        violations.len(),
        violations.join("\n")
    );
}
