"""YAML through libyaml when PyYAML was built with it: the bundled rules, fields and frames load
about ten times faster than with the pure-Python parser, which dominated the start of `perfbook
check`. Same safe subset, same result (tests/test_startup.py compares both parsers on every file)."""
from __future__ import annotations

from importlib import resources

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str):
    """yaml.safe_load, through libyaml where available."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)


def data(name: str):
    """A YAML file shipped in perfbook/data."""
    return load(resources.files("perfbook").joinpath(f"data/{name}").read_text("utf-8"))
