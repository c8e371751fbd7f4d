//! The committed header `include/haptix.h` must equal what cbindgen generates from `src/ffi`
//! (the build script writes it into OUT_DIR). Updating it is a deliberate act:
//! `HAPTIX_UPDATE_HEADER=1 cargo test --test header`.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/haptix.h"));
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/haptix.h");
    if std::env::var_os("HAPTIX_UPDATE_HEADER").is_some() {
        std::fs::write(&committed_path, generated).expect("write include/haptix.h");
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed == generated {
        return;
    }
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let mut diff = String::new();
    let first = old
        .iter()
        .zip(&new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    for line in old.iter().skip(first).take(8) {
        diff.push_str(&format!("- {line}\n"));
    }
    for line in new.iter().skip(first).take(8) {
        diff.push_str(&format!("+ {line}\n"));
    }
    panic!(
        "include/haptix.h is stale (first difference at line {}; committed has {} lines, \
         generated {}):\n{diff}\nRun `HAPTIX_UPDATE_HEADER=1 cargo test --test header` and \
         commit the result.",
        first + 1,
        old.len(),
        new.len()
    );
}
