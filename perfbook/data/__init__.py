"""Where the shipped files are: perfbook/data (*.yaml, vba/*.j2, frames/*.yaml; YAML is parsed by
perfbook._yaml) and the templates/ and macros/ folders, so that no module spells out the package's layout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["text", "path", "entries", "folder"]


def _file(name: str):
    return resources.files("perfbook.data").joinpath(*name.split("/"))


def text(name: str) -> str:
    """perfbook/data/NAME as text; NAME may name a folder: "vba/ui.yaml"."""
    return _file(name).read_text("utf-8")


def path(name: str) -> str:
    """Where perfbook/data/NAME is, for messages that name the file a rule came from."""
    return str(_file(name))


def entries(folder: str):
    """The files in perfbook/data/FOLDER, sorted by name."""
    return sorted(_file(folder).iterdir(), key=lambda e: e.name)


def folder(name: str) -> Path:
    """templates/ or macros/: inside the package when installed (the wheel maps them to perfbook/NAME),
    beside it in a checkout."""
    pkg = Path(__file__).resolve().parent.parent
    installed = pkg / name
    return installed if installed.is_dir() else pkg.parent / name
