//! Protocol coverage: every protocol the official device configurations name has an
//! implementation, and `haptix devices` reports the same. Skips (saying so) when `../shared`
//! is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use haptix::device::config::DeviceConfigManager;
use haptix::device::protocols::ProtocolRegistry;

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
