//! `haptix-dbgen <official.json> <out.json>`: reads an official device configuration database
//! (major version 4 or 5) with the library's loader and writes the compact form that Haptix
//! embeds as its built-in database (`data/builtin-devices.json`).

use std::path::Path;
use std::process::ExitCode;

use haptix::device::config::DeviceConfigManager;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        eprintln!("usage: haptix-dbgen <official.json> <out.json>");
        return ExitCode::from(2);
    };
    let manager = match DeviceConfigManager::from_path(Path::new(input)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("haptix-dbgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let compact = manager.to_compact_json();
    // check that the compact form reads back to the same database before writing it
    match DeviceConfigManager::from_compact_json(&compact) {
        Ok(back)
            if back.protocols() == manager.protocols() && back.version() == manager.version() => {}
        Ok(_) => {
            eprintln!(
                "haptix-dbgen: internal error: the compact form does not read back identically"
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("haptix-dbgen: internal error: the compact form does not load: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = std::fs::write(output, &compact) {
        eprintln!("haptix-dbgen: cannot write {output}: {e}");
        return ExitCode::FAILURE;
    }
    let (major, minor) = manager.version();
    println!(
        "{output}: version {major}.{minor}, {} protocols, {} definitions, {} bytes",
        manager.protocols().len(),
        manager.definition_count(),
        compact.len()
    );
    ExitCode::SUCCESS
}
