"""Issue 18: read_shaped works from what a template sheet offers (reader._Shape), worked out once per
process. A template sheet changed in memory afterwards (cycle/make drops slots) is worked out again:
reading with it gives what a fresh copy of the same template gives."""
from __future__ import annotations

import copy
from pathlib import Path

import perfbook
from perfbook.readers import reader
from perfbook.readers.formats import open_source


def test_a_template_sheet_changed_after_a_read_is_worked_out_again(tmp_path):
    book = perfbook.fill(Path(__file__).parent.parent / "examples" / "seed-001.yaml", tmp_path / "one.xlsx")
    tpl = copy.deepcopy(reader.load_template())
    before = reader.read_source(open_source(book), tpl)
    assert before.projects[0].department is not None
    ts = next(t for t in tpl.sheets if any(s.labels == ("主管部门",) for s in t.slots))
    ts.slots = [s for s in ts.slots if s.labels != ("主管部门",)]      # as cycle/make edits a template
    fresh = copy.deepcopy(tpl)                                        # never read with: no shape cached
    after = reader.read_source(open_source(book), tpl)
    assert after == reader.read_source(open_source(book), fresh)
    assert after.projects[0].department is None and any(n.kind == "unmapped" for n in after.notes)


def test_a_label_is_matched_as_its_normalised_text_would_be():
    """_label_at (match_role, _block_end) says what comparing the normalised cell text says, for text with
    and without spaces, numbers, dates, blanks and cells outside the grid."""
    import datetime
    import random
    rnd = random.Random(18)
    pieces = ["", " ", "\t", "\u3000", "\n", "项目", "名称", "a", "1", "2024"]
    others = [None, "", 0, 0.0, 1, 2024, 2024.0, 1.5, True, False, datetime.date(2024, 1, 1)]

    def value():
        return rnd.choice(others) if rnd.random() < 0.3 else "".join(rnd.choices(pieces, k=rnd.randint(0, 4)))

    def norm_at(rows, r, c):
        v = rows[r - 1][c - 1] if 1 <= r <= len(rows) and 1 <= c <= len(rows[r - 1]) else None
        return reader._norm(None if v == "" else v)

    for _ in range(30000):
        rows = [[value() for _ in range(rnd.randint(0, 3))] for _ in range(rnd.randint(0, 3))]
        r, c = rnd.randint(0, 4), rnd.randint(0, 4)
        t = reader._norm(value()) if rnd.random() < 0.5 else norm_at(rows, r, c)
        assert reader._label_at(rows, r, c, t) == (norm_at(rows, r, c) == t), (rows, r, c, t)


def test_a_number_too_long_for_a_double_keeps_its_digits(tmp_path):
    """recover_raw_numbers: the exact <v> text of a 21-digit number (a 项目编码 typed as a number), on a sheet
    with floats; a sheet without one is passed over (nothing to recover)."""
    from tests.support import hostile as H
    rows = (b'<row r="2"><c r="A2"><v>123456789012345678901</v></c><c r="B2"><v>1.5</v></c>'
            b'<c r="C2"><v>12</v></c></row>')
    f = H.write_parts(tmp_path / "code.xlsx", {**H.base_parts(), "xl/worksheets/sheet1.xml": H.sheet_xml(rows)})
    grid = open_source(f).grids[0]
    assert grid.raw == {(2, 1): "123456789012345678901"}
    assert grid.value(2, 2) == 1.5 and grid.value(2, 3) == 12
    plain = H.write_parts(tmp_path / "plain.xlsx", H.base_parts())
    assert all(not g.raw for g in open_source(plain).grids)
