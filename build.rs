//! Build script: compiles the FFI protobuf schema (proto/haptix/v1) with prost, using protox as
//! the parser so that no protoc binary is needed, and generates the C header from src/ffi with
//! cbindgen. Everything is written into OUT_DIR only; `include/haptix.h` is updated deliberately
//! (see tests/header.rs).

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/haptix/v1/device.proto",
    "proto/haptix/v1/options.proto",
    "proto/haptix/v1/request.proto",
    "proto/haptix/v1/event.proto",
];

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let descriptors = match protox::compile(PROTOS, ["proto"]) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("cannot compile the protobuf schema: {e:?}");
            std::process::exit(1);
        }
    };
    if let Err(e) = prost_build::Config::new()
        .out_dir(&out_dir)
        .compile_fds(descriptors)
    {
        eprintln!("cannot generate Rust code for the protobuf schema: {e}");
        std::process::exit(1);
    }

    let crate_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot read cbindgen.toml: {e}");
            std::process::exit(1);
        }
    };
    match cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("haptix.h"));
        }
        Err(e) => {
            eprintln!("cannot generate the C header: {e}");
            std::process::exit(1);
        }
    }
}
