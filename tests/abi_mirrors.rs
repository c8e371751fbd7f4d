//! The hand-kept mirrors of the C ABI agree with the header: the version macros of
//! `include/haptix.h` with Cargo.toml and the library, and the status codes and ABI version of
//! the Python, C# and Java bindings with the header's `haptix_status` (the C++ binding uses the
//! header's enum itself). A status added to the library without its mirrors fails here.

use std::collections::BTreeMap;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A name reduced to what every language's spelling of it shares: `ERROR_INVALID_UTF8`,
/// `ErrorInvalidUtf8` and `error_invalid_utf8` all become `errorinvalidutf8`.
fn key(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// `NAME = value` pairs of the lines between the first line containing `start` and the next
/// line that is exactly `end` (after trimming), with `prefix` stripped from names.
fn assignments(text: &str, start: &str, end: &str, prefix: &str) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if !inside {
            inside = line.contains(start);
            continue;
        }
        if line == end {
            break;
        }
        let line = line
            .trim_start_matches("public static final int ")
            .trim_end_matches([',', ';']);
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.contains(' ') || name.starts_with("//") || name.starts_with('*') {
            continue;
        }
        if let Ok(v) = value.trim().parse::<i64>() {
            out.insert(key(name.trim_start_matches(prefix)), v);
        }
    }
    out
}

fn header_statuses() -> BTreeMap<String, i64> {
    let statuses = assignments(
        &read("include/haptix.h"),
        "enum haptix_status",
        "};",
        "HAPTIX_STATUS_",
    );
    assert!(
        statuses.len() > 20 && statuses.get("ok") == Some(&0),
        "could not read haptix_status from the header: {statuses:?}"
    );
    statuses
}

fn header_define(name: &str) -> u64 {
    let header = read("include/haptix.h");
    let prefix = format!("#define {name} ");
    header
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is not defined as a number in include/haptix.h"))
}

#[test]
fn header_versions_match_the_crate() {
    for (name, crate_value) in [
        ("HAPTIX_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("HAPTIX_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("HAPTIX_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert_eq!(
            header_define(name).to_string(),
            crate_value,
            "{name} in include/haptix.h differs from Cargo.toml's version"
        );
    }
    assert_eq!(
        header_define("HAPTIX_ABI_VERSION"),
        u64::from(haptix::ffi::HAPTIX_ABI_VERSION),
        "HAPTIX_ABI_VERSION in include/haptix.h differs from the library's"
    );
    assert_eq!(
        u64::from(haptix::ffi::haptix_abi_version()),
        header_define("HAPTIX_ABI_VERSION")
    );
}

#[test]
fn the_rust_status_enum_is_the_headers() {
    use haptix::ffi::haptix_status as S;
    let header = header_statuses();
    for (status, name) in [
        (S::Ok, "OK"),
        (S::ErrorNullPointer, "ERROR_NULL_POINTER"),
        (S::ErrorInvalidConfig, "ERROR_INVALID_CONFIG"),
        (S::ErrorNotConnected, "ERROR_NOT_CONNECTED"),
        (S::ErrorServer, "ERROR_SERVER"),
        (S::ErrorDeviceTimeout, "ERROR_DEVICE_TIMEOUT"),
        (S::ErrorTransport, "ERROR_TRANSPORT"),
        (S::ErrorInternal, "ERROR_INTERNAL"),
    ] {
        assert_eq!(
            header.get(&key(name)),
            Some(&i64::from(status.code())),
            "{name}"
        );
    }
}

fn compare(binding: &str, mirror: &BTreeMap<String, i64>) {
    let header = header_statuses();
    let missing: Vec<_> = header
        .iter()
        .filter(|(k, v)| mirror.get(*k) != Some(v))
        .collect();
    let extra: Vec<_> = mirror
        .iter()
        .filter(|(k, v)| header.get(*k) != Some(v))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{binding}'s status codes differ from include/haptix.h: missing or different {missing:?}, \
         unknown to the header {extra:?}"
    );
}

#[test]
fn python_mirror() {
    let errors = read("bindings/python/haptix/errors.py");
    compare(
        "the Python binding (haptix/errors.py, Status)",
        &assignments(
            &errors,
            "class Status(",
            "def status_name(status: int) -> str:",
            "",
        ),
    );
    let native = read("bindings/python/haptix/_native.py");
    let abi = native
        .lines()
        .find_map(|l| l.strip_prefix("ABI_VERSION = "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("ABI_VERSION in bindings/python/haptix/_native.py");
    assert_eq!(
        abi,
        header_define("HAPTIX_ABI_VERSION"),
        "Python ABI_VERSION"
    );
}

#[test]
fn csharp_mirror() {
    let errors = read("bindings/csharp/src/Haptix/Errors.cs");
    compare(
        "the C# binding (Errors.cs, Status)",
        &assignments(&errors, "public enum Status", "}", ""),
    );
    let native = read("bindings/csharp/src/Haptix/Native.cs");
    let abi = native
        .lines()
        .find_map(|l| l.trim().strip_prefix("public const uint AbiVersion = "))
        .and_then(|v| v.trim_end_matches(';').parse::<u64>().ok())
        .expect("AbiVersion in bindings/csharp/src/Haptix/Native.cs");
    assert_eq!(abi, header_define("HAPTIX_ABI_VERSION"), "C# AbiVersion");
}

#[test]
fn java_mirror() {
    let status = read("bindings/java/haptix/src/main/java/io/haptix/Status.java");
    compare(
        "the Java binding (Status.java)",
        &assignments(&status, "public final class Status", "}", ""),
    );
    let native = read("bindings/java/haptix/src/main/java/io/haptix/Native.java");
    let abi = native
        .lines()
        .find_map(|l| l.trim().strip_prefix("static final int ABI_VERSION = "))
        .and_then(|v| v.trim_end_matches(';').parse::<u64>().ok())
        .expect("ABI_VERSION in bindings/java/.../Native.java");
    assert_eq!(abi, header_define("HAPTIX_ABI_VERSION"), "Java ABI_VERSION");
}
