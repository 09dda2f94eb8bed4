"""Reproducible zips: the same files give the same bytes, so the content hash names the code.

Entries are sorted, every timestamp is 1980-01-01 (the zip format's epoch), permissions are fixed
(0644 files, 0755 directories are implied), compression level is fixed, and bytecode caches are
left out (they embed source mtimes).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16  # regular file, rw-r--r--
SKIPPED_PARTS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def files_under(root: Path) -> list[tuple[str, Path]]:
    """(archive name, path) of every file below root, bytecode caches left out, sorted by name."""
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not skipped(relative):
            found.append((relative.as_posix(), path))
    return sorted(found)


def skipped(relative: Path) -> bool:
    """A bytecode cache (embeds source mtimes): never in a zip."""
    return bool(SKIPPED_PARTS.intersection(relative.parts)) or relative.name.endswith(SKIPPED_SUFFIXES)


def write_zip(target: Path, entries: Iterable[tuple[str, bytes]]) -> None:
    """Writes entries (name, content) in name order; a name given twice is an error, not a silent overwrite."""
    ordered = sorted(entries, key=lambda entry: entry[0])
    names = [name for name, _ in ordered]
    if len(names) != len(set(names)):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"two files for the same archive path: {', '.join(duplicates[:5])}")
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in ordered:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr, info.create_system = FILE_MODE, 3
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=6)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
