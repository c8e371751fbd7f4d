#!/usr/bin/env python3
"""Builds the Unity package tarball (what "Add package from tarball..." in Unity's Package Manager
takes) from bindings/csharp/unity, the binding's sources and the native libraries.

Usage: pack.py LIBRARY_DIR [OUTPUT_DIR]

  LIBRARY_DIR  folder with the built native library: libhaptix.so (Linux x86_64),
               libhaptix.dylib (macOS) and/or haptix.dll (Windows x86_64); at least one.
  OUTPUT_DIR   where com.haptix.unity-<version>.tgz is written (default: the current folder).

The tarball holds one folder, package/ (the npm layout Unity expects):
  package.json, Runtime/ (HaptixManager, the asmdef, link.xml, and the binding's sources under
  Runtime/Haptix/), Editor/ (play-mode, reload and quit hooks), Samples~/Demo, and
  Plugins/x86_64/ with the libraries. Unity ignores files without .meta in an immutable
  package, so every file and folder outside Samples~ gets one, with a GUID derived from its path
  (stable between builds) and, for the libraries, plugin importer settings for their platform.
Python 3 standard library only. Prints the tarball's path.
"""

import hashlib
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
BINDING = os.path.dirname(HERE)

# library file -> (OS in the editor, standalone build target)
LIBRARIES = {
    "libhaptix.so": ("Linux", "Linux64"),
    "libhaptix.dylib": ("OSX", "OSXUniversal"),
    "haptix.dll": ("Windows", "Win64"),
}


def guid(path):
    return hashlib.md5(("com.haptix.unity/" + path).encode("utf-8")).hexdigest()


def meta(path, is_dir):
    head = "fileFormatVersion: 2\nguid: %s\n" % guid(path)
    tail = "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
    if is_dir:
        return head + "folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n" + tail
    name = os.path.basename(path)
    if name.endswith(".cs"):
        return (head + "MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
                "  executionOrder: 0\n  icon: {instanceID: 0}\n" + tail)
    if path == "package.json":
        return head + "PackageManifestImporter:\n  externalObjects: {}\n" + tail
    if name.endswith(".asmdef"):
        return head + "AssemblyDefinitionImporter:\n  externalObjects: {}\n" + tail
    if name in LIBRARIES:
        os_name, target = LIBRARIES[name]
        excluded = {"Linux64": 1, "OSXUniversal": 1, "Win64": 1}
        excluded[target] = 0
        lines = [
            head.rstrip("\n"),
            "PluginImporter:",
            "  externalObjects: {}",
            "  serializedVersion: 2",
            "  iconMap: {}",
            "  executionOrder: {}",
            "  defineConstraints: []",
            "  isPreloaded: 0",
            "  isOverridable: 0",
            "  isExplicitlyReferenced: 0",
            "  validateReferences: 1",
            "  platformData:",
            "  - first:",
            "      : Any",
            "    second:",
            "      enabled: 0",
            "      settings:",
            "        Exclude Editor: 0",
        ]
        lines += ["        Exclude %s: %d" % (t, excluded[t]) for t in sorted(excluded)]
        lines += [
            "  - first:",
            "      Editor: Editor",
            "    second:",
            "      enabled: 1",
            "      settings:",
            "        CPU: %s" % ("AnyCPU" if os_name == "OSX" else "x86_64"),
            "        DefaultValueInitialized: true",
            "        OS: %s" % os_name,
            "  - first:",
            "      Standalone: %s" % target,
            "    second:",
            "      enabled: 1",
            "      settings:",
            "        CPU: %s" % ("AnyCPU" if os_name == "OSX" else "x86_64"),
        ]
        return "\n".join(lines) + "\n" + tail
    return head + "TextScriptImporter:\n  externalObjects: {}\n" + tail


def collect(library_dir):
    """(path inside the package, bytes) of every file, without metas."""
    files = []

    def add_tree(src, dest):
        for root, dirs, names in os.walk(src):
            dirs.sort()
            for name in sorted(names):
                if name == "pack.py" or name.endswith(".meta"):
                    continue
                full = os.path.join(root, name)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                with open(full, "rb") as f:
                    files.append(((dest + "/" + rel).lstrip("/"), f.read()))

    add_tree(HERE, "")
    add_tree(os.path.join(BINDING, "src", "Haptix"), "Runtime/Haptix")
    found = 0
    for name in sorted(LIBRARIES):
        path = os.path.join(library_dir, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                files.append(("Plugins/x86_64/" + name, f.read()))
            found += 1
    if not found:
        raise SystemExit("pack.py: no native library (%s) in %s" % (", ".join(sorted(LIBRARIES)), library_dir))
    return files


def with_metas(files):
    out = list(files)
    dirs = set()
    for path, _ in files:
        if path.startswith("Samples~/"):
            continue
        out.append((path + ".meta", meta(path, False).encode("utf-8")))
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for d in sorted(dirs):
        out.append((d + ".meta", meta(d, True).encode("utf-8")))
    return sorted(out)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    library_dir = argv[1]
    out_dir = argv[2] if len(argv) == 3 else "."
    with open(os.path.join(HERE, "package.json"), encoding="utf-8") as f:
        version = json.load(f)["version"]
    files = with_metas(collect(library_dir))
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "com.haptix.unity-%s.tgz" % version)
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        for path, data in files:
            info = tarfile.TarInfo("package/" + path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
