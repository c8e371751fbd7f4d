"""Packaging: a wheel bundles the library stripped and tagged with the policy auditwheel reports;
installing it makes the README example work without HAPTIX_LIBRARY; a package without the
library says plainly what to do.

Each test builds from a copy of the package source (without build isolation, so it needs the
build requirements in this environment: scripts/test-python.sh installs them)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest

import haptix

PACKAGE = Path(__file__).resolve().parents[1]
PROTO = PACKAGE.parent.parent / "proto"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux wheels")


def _copy_source(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(
        PACKAGE,
        source,
        ignore=shutil.ignore_patterns(
            "build", "dist", "v1", "*.so", "*.dylib", "*.dll", "__pycache__", "*.egg-info"
        ),
    )
    return source


def _build_env(bundle: str) -> Dict[str, str]:
    env = dict(os.environ)
    env["HAPTIX_PROTO_DIR"] = str(PROTO)
    env["HAPTIX_BUNDLE_LIBRARY"] = bundle
    env.pop("CARGO_TARGET_DIR", None)
    return env


def build_wheel(tmp_path: Path, bundle: str) -> Path:
    """Builds a wheel of a copy of the package; returns its path."""
    pytest.importorskip("grpc_tools", reason="the packaging tests need the build requirements")
    source = _copy_source(tmp_path)
    out = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        env=_build_env(bundle),
    )
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def install(wheel: Path, tmp_path: Path) -> Path:
    """Installs a wheel into a folder of its own (not this environment)."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    return target


def run_isolated(site: Path, code: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    """Runs code with only `site` (plus this environment's dependencies) providing haptix, and
    no HAPTIX_LIBRARY or repository to find a library in."""
    env = {k: v for k, v in os.environ.items() if k not in ("HAPTIX_LIBRARY", "CARGO_TARGET_DIR")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def auditwheel_policy(wheel: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    text = " ".join(result.stdout.split())
    match = re.search(r'consistent with the following platform tag: "([^"]+)"', text)
    assert match, text
    return match.group(1)


def elf_sections(data: bytes) -> List[str]:
    import io

    from elftools.elf.elffile import ELFFile  # pyelftools comes with auditwheel

    return [section.name for section in ELFFile(io.BytesIO(data)).iter_sections()]


@linux_only
def test_wheel_bundles_the_library_stripped_and_tagged_by_auditwheel(tmp_path: Path) -> None:
    pytest.importorskip("auditwheel")
    library = haptix.load()
    wheel = build_wheel(tmp_path, str(library))
    name = haptix.library_file_name()
    with zipfile.ZipFile(wheel) as archive:
        bundled = archive.read(f"haptix/{name}")
    assert not any(s.startswith(".debug") for s in elf_sections(bundled))
    assert len(bundled) < library.stat().st_size
    print(f"\nbundled library: {len(bundled)} bytes (built: {library.stat().st_size} bytes)")
    platform_tag = wheel.name[: -len(".whl")].split("-")[-1]
    assert wheel.name.startswith("haptix-") and "-py3-none-" in wheel.name
    assert platform_tag == auditwheel_policy(wheel)


def _tiny_library(tmp_path: Path) -> Optional[Path]:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    source = tmp_path / "tiny.c"
    source.write_text("int haptix_tiny(void) { return 1; }\n")
    library = tmp_path / "libtiny.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-g", "-o", str(library), str(source)], check=True
    )
    return library


@linux_only
def test_a_manylinux_compatible_library_gets_the_manylinux_tag(tmp_path: Path) -> None:
    # The haptix library links libdbus (Bluetooth LE), which no manylinux policy allows, so
    # auditwheel reports linux_x86_64 for it; a library using only the C library must get
    # the manylinux tag auditwheel reports, not the generic one.
    pytest.importorskip("auditwheel")
    library = _tiny_library(tmp_path)
    if library is None:
        pytest.skip("no C compiler to build a small library")
    wheel = build_wheel(tmp_path, str(library))
    platform_tag = wheel.name[: -len(".whl")].split("-")[-1]
    assert platform_tag.startswith("manylinux_"), wheel.name
    assert platform_tag == auditwheel_policy(wheel)


def readme_example() -> str:
    text = (PACKAGE / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    return str(blocks[0])


@linux_only
def test_installed_wheel_runs_the_readme_example_without_haptix_library(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, str(haptix.load()))
    site = install(wheel, tmp_path)
    result = run_isolated(site, readme_example(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Vibrate:10;" in result.stdout


def test_package_without_library_says_what_to_do(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "none")
    assert wheel.name.endswith("-py3-none-any.whl")
    site = install(wheel, tmp_path)
    result = run_isolated(site, "import haptix; haptix.load()", tmp_path)
    assert result.returncode != 0
    assert "LibraryError" in result.stderr
    for advice in (
        "cargo build --release --lib",
        "pip install ./bindings/python",
        "HAPTIX_LIBRARY",
    ):
        assert advice in result.stderr


def test_the_documented_wheel_command_writes_into_an_ignored_folder() -> None:
    # The README's `pip wheel` command, run from the repository's root, must not leave wheels
    # where `git status` shows them.
    repo = PACKAGE.parent.parent
    git = shutil.which("git")
    if git is None or not (repo / ".git").exists():
        pytest.skip("needs git and a git checkout of the repository")
    text = (PACKAGE / "README.md").read_text(encoding="utf-8")
    commands = [line.split("#")[0] for line in text.splitlines() if "pip wheel" in line]
    assert commands, "the README documents no `pip wheel` command"
    for command in commands:
        words = shlex.split(command)
        option = next((w for w in ("-w", "--wheel-dir") if w in words), None)
        assert option is not None, f"{command.strip()!r} does not say where the wheel goes"
        probe = Path(words[words.index(option) + 1]) / "haptix-0-py3-none-any.whl"
        ignored = subprocess.run([git, "check-ignore", "--quiet", str(probe)], cwd=repo)
        assert ignored.returncode == 0, f"{probe.parent} of {command.strip()!r} is not ignored"
