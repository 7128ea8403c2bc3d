"""Loaders for the workbook formats calamine does not read: what budget systems export as ".xls".

Each loader turns a file into grid.Grid objects (values plus merged ranges, 1-based) and registers
itself in grid.LOADERS under the kind perfbook.sniff reports. Their input is untrusted: XML goes
through defusedxml (no DTDs, no entities), and every grid is size-checked before it is built.
"""
from __future__ import annotations

from ..grid import LOADERS
from .html import load_html
from .xml2003 import load_xml2003

LOADERS.setdefault("xml2003", load_xml2003)
LOADERS.setdefault("html", load_html)
