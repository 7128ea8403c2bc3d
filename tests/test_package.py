"""What perfbook writes is a well-formed package: Excel would open it without a repair prompt."""
from __future__ import annotations

import zipfile

import yaml

import perfbook
from tests.conftest import EXAMPLES
from tests.support.opc import problems


def test_filled_and_blank_workbooks_are_valid_packages(tmp_path):
    a = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text(encoding="utf-8"))
    b = yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text(encoding="utf-8"))
    outs = [perfbook.fill(a, tmp_path / "one.xlsx"), perfbook.fill([a, b, a], tmp_path / "three.xlsx"),
            perfbook.new(tmp_path / "blank.xlsx")]
    for out in outs:
        assert problems(out) == [], out


def test_output_is_reproducible(tmp_path):
    """Same data, same bytes: a bureau can diff and hash what it sent out."""
    one = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsx").read_bytes()
    two = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "b.xlsx").read_bytes()
    assert one == two


def test_template_parts_are_copied_byte_for_byte(tmp_path):
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsx")
    from perfbook.write.fill import compiled
    tpl = compiled().template
    z = zipfile.ZipFile(out)
    for name in ("xl/styles.xml", "xl/theme/theme1.xml"):
        assert z.read(name) == tpl.parts[name]
