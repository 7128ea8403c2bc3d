"""What a workbook format declares: one Format per kind, in the format's own module, listed once in
readers/formats/__init__.py (FORMATS). The door (open_source) and the size guard read nothing else."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...ooxml._package import PackageInfo
from .._grid import Grid

MB = 1024 * 1024

# (path, the checked package or None) -> (grids, document properties)
Loader = Callable[[Path, PackageInfo | None], tuple[list[Grid], dict[str, str]]]


@dataclass(frozen=True)
class Format:
    """kind: what readers._sniff.sniff (or, inside a zip, the package check) reports;
    name: Source.format and what the messages call it; sniffed: the kind sniff() gives such a file
    ('zip' for every package, whose own kind the package check tells); extensions: those the content
    is expected under (any other is read by content, with a note); max_bytes: the file size refused
    before any parser sees it; load: the loader."""

    kind: str
    name: str
    sniffed: str
    extensions: tuple[str, ...]
    max_bytes: int
    load: Loader
