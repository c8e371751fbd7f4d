"""Build hooks of the `haptix` Python package.

* Generates the protobuf modules (`haptix/v1/*_pb2.py` and `.pyi`) from the repository's
  `proto/haptix/v1/*.proto` with the protoc bundled in `grpcio-tools` (a build requirement). The
  generated code is not committed. Because the proto package is `haptix.v1` and protoc emits
  `from haptix.v1 import device_pb2`, generating into `haptix/v1/` makes those imports resolve to
  this package without rewriting anything.
* The runtime requirement on `protobuf` is derived from the generated code: protobuf's gencode
  check needs a runtime at least as new as the generator, with the same major version.
* The native library is bundled in the package (as `libhaptix.so`, `libhaptix.dylib` or
  `haptix.dll`), stripped of its debug information: the file `HAPTIX_BUNDLE_LIBRARY` names, or
  else the newest one built in the repository's `target/release` / `target/debug` (and
  `$CARGO_TARGET_DIR`), so that `cargo build --release --lib && pip install ./bindings/python`
  gives a working import. `HAPTIX_BUNDLE_LIBRARY=none` builds a pure package that finds the
  library at run time. Editable installs never bundle (they find the repository's library).
* A wheel that carries the library is tagged `py3-none-<platform>`; on Linux the platform is
  the manylinux policy `auditwheel show` reports for it (auditwheel is a build requirement
  there), so the wheel installs wherever that policy allows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Distribution as _Distribution
from setuptools import setup
from setuptools.command.build_py import build_py as _build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "haptix"
GENERATED = PACKAGE / "v1"
PROTO_FILES = ("device.proto", "options.proto", "request.proto", "event.proto")


def _proto_root() -> Path:
    """The directory that contains `haptix/v1/*.proto`."""
    candidates = []
    if os.environ.get("HAPTIX_PROTO_DIR"):
        candidates.append(Path(os.environ["HAPTIX_PROTO_DIR"]))
    candidates += [HERE / "proto", HERE.parent.parent / "proto"]
    for root in candidates:
        if (root / "haptix" / "v1" / "request.proto").is_file():
            return root
    raise SystemExit(
        "haptix: cannot find proto/haptix/v1/*.proto (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); build from the repository checkout or set HAPTIX_PROTO_DIR"
    )


def _generate() -> None:
    """Runs protoc (from grpcio-tools) into haptix/v1.

    Always regenerates when grpcio-tools is available, so the code matches the generator of
    this build environment (its version decides the protobuf requirement). Files are replaced
    atomically, so concurrent builds of the same tree do not see half-written modules.
    """
    try:
        import grpc_tools  # noqa: F401
    except ImportError:
        if (GENERATED / "request_pb2.py").is_file():
            return  # e.g. `python setup.py --version` outside a build environment
        raise SystemExit(
            "haptix: generating the protobuf modules needs grpcio-tools "
            "(pip installs it automatically as a build requirement)"
        ) from None
    root = _proto_root()
    GENERATED.mkdir(parents=True, exist_ok=True)
    scratch = HERE / "build"  # same file system as the package, so os.replace is atomic
    scratch.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="protoc-", dir=scratch) as tmp:
        command = [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"--proto_path={root}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            *[f"haptix/v1/{name}" for name in PROTO_FILES],
        ]
        subprocess.run(command, check=True)
        generated = Path(tmp) / "haptix" / "v1"
        init = generated / "__init__.py"
        init.write_text(
            '"""Protobuf modules of the haptix.v1 schema, generated at build time from proto/."""\n'
        )
        for path in sorted(generated.iterdir()):
            os.replace(path, GENERATED / path.name)


def _protobuf_requirement() -> str:
    """`protobuf>=X.Y.Z,<X+1` for the generator version recorded in the generated code."""
    text = (GENERATED / "request_pb2.py").read_text(encoding="utf-8")
    match = re.search(r"^# Protobuf Python Version: (\d+)\.(\d+)\.(\d+)", text, re.M)
    if match is None:  # very old generators do not record it
        return "protobuf>=4.21,<8"
    major, minor, patch = (int(g) for g in match.groups())
    return f"protobuf>={major}.{minor}.{patch},<{major + 1}"


def _built_libraries() -> list[Path]:
    """Libraries built by cargo in the repository this package lives in, newest first."""
    targets = []
    if os.environ.get("CARGO_TARGET_DIR"):
        targets.append(Path(os.environ["CARGO_TARGET_DIR"]))
    repository = HERE.parent.parent
    if (repository / "Cargo.toml").is_file():
        targets.append(repository / "target")
    found = [
        t / profile / _library_file_name()
        for t in targets
        for profile in ("release", "debug")
        if (t / profile / _library_file_name()).is_file()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _bundled_library() -> Path | None:
    value = os.environ.get("HAPTIX_BUNDLE_LIBRARY", "").strip()
    if value.lower() in ("none", "no", "0", "off"):
        return None
    if not value:
        built = _built_libraries()
        return built[0] if built else None
    path = Path(value)
    if not path.is_absolute():
        # pip runs this in the package directory; a relative path is meant from where the user
        # ran pip (the shell's PWD), or from the repository root.
        bases = [Path(os.environ["PWD"])] if os.environ.get("PWD") else []
        bases += [Path.cwd(), HERE.parent.parent]
        path = next((b / path for b in bases if (b / path).is_file()), path)
    if not path.is_file():
        raise SystemExit(f"haptix: HAPTIX_BUNDLE_LIBRARY={value} is not a file")
    return path


def _library_file_name() -> str:
    if sys.platform == "win32":
        return "haptix.dll"
    if sys.platform == "darwin":
        return "libhaptix.dylib"
    return "libhaptix.so"


def _strip(path: Path) -> None:
    """Removes debug information and local symbols from a copied library (the exported
    functions stay)."""
    if sys.platform == "win32":
        return  # MSVC keeps debug information in a separate .pdb
    strip = shutil.which(os.environ.get("STRIP", "strip"))
    if strip is None:
        raise SystemExit(
            "haptix: bundling the native library needs `strip` (binutils) to remove its debug "
            "information; install it, or build a pure package with HAPTIX_BUNDLE_LIBRARY=none"
        )
    flags = ["-x"] if sys.platform == "darwin" else ["--strip-unneeded"]
    subprocess.run([strip, *flags, str(path)], check=True)


class build_py(_build_py):
    """Copies the bundled native library, stripped, next to the modules (the protobuf modules
    were generated when this file was loaded)."""

    def run(self) -> None:
        super().run()
        library = _bundled_library()
        if library is not None and not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "haptix" / _library_file_name()
            target.parent.mkdir(parents=True, exist_ok=True)
            print(f"haptix: bundling {library} (stripped)")
            shutil.copyfile(library, target)
            _strip(target)


class Distribution(_Distribution):
    """Not pure when it carries the native library (the wheel then installs to platlib)."""

    def has_ext_modules(self) -> bool:
        return _bundled_library() is not None or super().has_ext_modules()


def _manylinux_policy(wheel: Path) -> str | None:
    """The platform tag `auditwheel show` reports for a wheel, or None when it cannot tell."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "auditwheel", "show", str(wheel)],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", "") or str(e)
        print(f"haptix: warning: auditwheel show failed, the wheel keeps its tag: {detail}")
        return None
    text = " ".join(result.stdout.split())
    match = re.search(r'consistent with the following platform tag: "([^"]+)"', text)
    if match is None:
        print(f"haptix: warning: no platform tag in the output of auditwheel show: {text}")
        return None
    return match.group(1)


class bdist_wheel(_bdist_wheel):
    """Tags a wheel that carries the native library `py3-none-<platform>`, with the manylinux
    policy auditwheel reports on Linux."""

    def get_tag(self) -> tuple[str, str, str]:
        python, abi, platform = super().get_tag()
        if _bundled_library() is not None:
            return "py3", "none", platform
        return python, abi, platform

    def run(self) -> None:
        super().run()
        if _bundled_library() is None or not sys.platform.startswith("linux"):
            return
        python, abi, platform = self.get_tag()
        wheel = Path(self.dist_dir) / f"{self.wheel_dist_name}-{python}-{abi}-{platform}.whl"
        policy = _manylinux_policy(wheel)
        if policy is None or policy == platform:
            return
        # `wheel tags` rewrites the WHEEL file and RECORD; --remove leaves only the new file,
        # which is what a PEP 517 frontend then picks up from the output directory.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "wheel",
                "tags",
                "--remove",
                f"--platform-tag={policy}",
                str(wheel),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"haptix: wheel tagged {policy} (auditwheel show)")


_generate()

setup(
    packages=["haptix", "haptix.v1"],
    package_data={"haptix": ["py.typed"], "haptix.v1": ["*.pyi"]},
    install_requires=[_protobuf_requirement()],
    cmdclass={"build_py": build_py, "bdist_wheel": bdist_wheel},
    distclass=Distribution,
)
