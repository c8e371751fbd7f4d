//! Protocol coverage: every protocol the official device configurations name has an
//! implementation and a bus built into the library, and `haptix devices` reports the same.
//! Skips (saying so) when `../shared` is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use haptix::device::config::DeviceConfigManager;
use haptix::device::protocols::{bus_built_in, ProtocolRegistry};

fn official_files() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/device-config");
    if !dir.is_dir() {
        println!("skipping: ../shared/device-config not present");
        return None;
    }
    Some(vec![
        dir.join("buttplug-device-config-v4.json"),
        dir.join("buttplug-device-config-v5.json"),
    ])
}

#[test]
fn every_protocol_of_both_official_files_is_supported() {
    let Some(files) = official_files() else {
        return;
    };
    let registry = ProtocolRegistry::builtin();
    let mut names = std::collections::BTreeSet::new();
    for file in &files {
        let config = DeviceConfigManager::from_path(file).unwrap();
        let missing: Vec<&str> = config
            .protocols()
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !registry.contains(n))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: protocols without an implementation: {missing:?}",
            file.display()
        );
        names.extend(config.protocols().iter().map(|p| p.name.clone()));
    }
    // the union of v4 (139) and v5 (149) protocols
    assert_eq!(names.len(), 150, "{names:?}");
}

/// The only protocols allowed to lack a comm manager for every bus they name: none.
const AWAITING_A_BUS: &[&str] = &[];

#[test]
fn every_protocol_of_both_official_files_has_a_bus() {
    let Some(files) = official_files() else {
        return;
    };
    let all_buses = cfg!(feature = "btle")
        && cfg!(feature = "hid")
        && ["usb", "sdl-gamepad", "lovense_connect_service"]
            .iter()
            .all(|b| bus_built_in(b));
    if !all_buses {
        println!("skipping: built without every bus feature (the default build has them all)");
        return;
    }
    let mut without = std::collections::BTreeSet::new();
    for file in &files {
        let config = DeviceConfigManager::from_path(file).unwrap();
        for p in config.protocols() {
            assert!(
                !p.communication.is_empty(),
                "{}: protocol {} names no bus at all",
                file.display(),
                p.name
            );
            if !p.communication.iter().any(|c| bus_built_in(c.bus())) {
                without.insert(p.name.clone());
            }
        }
    }
    let unexpected: Vec<&String> = without
        .iter()
        .filter(|n| !AWAITING_A_BUS.contains(&n.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "protocols without a bus built in: {unexpected:?}"
    );
    assert!(bus_built_in("btle") && bus_built_in("serial") && bus_built_in("hid"));
    assert!(!bus_built_in("no-such-bus"));
}

#[test]
fn haptix_devices_lists_everything_as_supported() {
    let Some(files) = official_files() else {
        return;
    };
    for file in &files {
        let out = Command::new(env!("CARGO_BIN_EXE_haptix"))
            .arg("devices")
            .arg("--device-config-file")
            .arg(file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: {}{}",
            file.display(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = stdout.lines().last().unwrap_or_default();
        assert!(summary.contains(" 0 not supported"), "{summary}");
        // per protocol, whether its bus is built in (with the default buses)
        if cfg!(feature = "btle") && cfg!(feature = "hid") {
            assert!(
                stdout.contains("lovense [btle] supported, bus built in"),
                "{stdout}"
            );
            // every protocol's line says whether one of its buses is built in, and the
            // summary counts those without
            let config = DeviceConfigManager::from_path(file).unwrap();
            let mut without = 0;
            for p in config.protocols() {
                let reachable = p.communication.iter().any(|c| bus_built_in(c.bus()));
                without += usize::from(!reachable);
                let line = stdout
                    .lines()
                    .find(|l| l.starts_with(&format!("{} [", p.name)))
                    .unwrap_or_default();
                let marker = if reachable {
                    "bus built in"
                } else {
                    "NO BUS BUILT IN"
                };
                assert!(line.contains(marker), "{}: {line}", p.name);
            }
            assert!(
                summary.contains(&format!(" {without} without a bus built in")),
                "{summary}"
            );
        }
        let config = DeviceConfigManager::from_path(file).unwrap();
        assert!(
            summary.starts_with(&format!("{} protocols", config.protocols().len())),
            "{summary}"
        );
        assert!(stdout.contains("lovense [btle] supported"), "{stdout}");
    }
    // the built-in database too
    let out = Command::new(env!("CARGO_BIN_EXE_haptix"))
        .args(["devices", "--protocols-only"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("lovense\tsupported"));
}
