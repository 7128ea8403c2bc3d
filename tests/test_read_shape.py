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


def _reference_merge_map(merges):
    out = {}
    for r1, c1, r2, c2 in merges:
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
            continue
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    out[(r, c)] = (r1, c1)
    return out


def test_merge_map_is_the_cell_by_cell_map():
    """Grid.merge_map (top row, then the rows below, no cell compared with the top-left one): the same
    map in the same order as comparing every cell, overlapping ranges and huge ones included."""
    import random

    from perfbook.readers._grid import Grid
    rnd = random.Random(18)
    for _ in range(3000):
        merges = []
        for _ in range(rnd.randint(0, 6)):
            r1, c1 = rnd.randint(1, 6), rnd.randint(1, 6)
            merges.append((r1, c1, r1 + rnd.choice([0, 0, 1, 3]), c1 + rnd.choice([0, 0, 1, 4])))
        if rnd.random() < 0.02:
            merges.append((1, 1, 400, 400))
        got = Grid("s", [], merges).merge_map()
        assert list(got.items()) == list(_reference_merge_map(merges).items()), merges
    for merges in ([(1, 1, 1, 100_000), (1, 2, 3, 2)], [(2, 1, 2, 100_001)], [(3, 5, 3, 2)],    # the size limit
                   [(1, 1, 100_000, 1), (2, 2, 100_001, 2), (5, 3, 2, 3)]):
        assert list(Grid("s", [], merges).merge_map().items()) == list(_reference_merge_map(merges).items())


def test_control_characters_are_found_as_before():
    """clean_controls searches the exact-str cells only: a control character in anything else was never
    removed, so the cells changed and the notes are the same as searching every value's str()."""
    import random

    from perfbook.readers._grid import Grid

    class Text(str):
        pass

    rnd = random.Random(18)
    pool = ["a", "项目", "\x01", "\x0b", "\ud800", "\ufffe", "\t", "\n", " "]
    for _ in range(2000):
        rows = [[rnd.choice([None, "", 1, 2.5, Text("\x02"), "".join(rnd.choices(pool, k=rnd.randint(0, 3)))])
                 for _ in range(rnd.randint(0, 4))] for _ in range(rnd.randint(0, 4))]
        want = [(r, c, f"U+{ord(reader_control(v)):04X}") for r, row in enumerate(rows, 1)
                for c, v in enumerate(row, 1) if type(v) is str and reader_control(v)]
        grid = Grid("s", [list(r) for r in rows])
        assert grid.clean_controls() == want


def reader_control(v):
    from perfbook.readers._grid import CONTROL
    m = CONTROL.search(v)
    return m.group() if m else None


def _grids(tmp_path):
    book = perfbook.fill(Path(__file__).parent.parent / "examples" / "seed-001.yaml", tmp_path / "one.xlsx")
    tpl = reader.load_template()
    return [(g, reader.match_role(g, tpl)) for g in open_source(book).grids if g.visible]


def test_whole_field_rows_read_as_the_general_loop(tmp_path):
    """_whole_rows (every loop slot one field) gives the Indicators the general loop gives, cells and rows
    included, on the filled seed and on random blocks with blanks, spaces, numbers and merged cells."""
    import dataclasses
    import random

    from perfbook.readers._grid import Grid
    rnd = random.Random(18)
    for grid, ts in _grids(tmp_path):
        if ts is None or ts.loop_row is None:
            continue
        shape = reader._shape(ts)
        assert shape.whole
        general = dataclasses.replace(shape, whole=False)
        T = ts.loop_row
        grids = [grid]
        width = max(c for c, *_ in shape.loop) + 1
        for _ in range(300):
            n = rnd.randint(0, 6)
            rows = [list(r) for r in grid.rows[:T - 1]] + [
                [rnd.choice([None, "", " ", "\u3000", "产出指标", "12", 12, 0, 2.5, "≥95%", " a\r\nb "])
                 for _ in range(rnd.randint(0, width))] for _ in range(n)]
            merges = [(r, c, r + rnd.randint(1, 2), c) for r in range(T, T + n) for c in (1, 2) if rnd.random() < 0.3]
            grids.append(Grid(grid.name, rows, merges))
        for g in grids:
            end = g.height + 1
            a = reader._indicators(g, shape, T, end, g.merge_map(), set())
            b = reader._indicators(g, general, T, end, g.merge_map(), set())
            assert a == b
            assert [(i.cells, i.row, i.raw) for i in a] == [(i.cells, i.row, i.raw) for i in b]


def test_claimed_cells_are_the_ones_worked_out_per_sheet(tmp_path, monkeypatch):
    """_Shape.claims (worked out once) claims the cells that moving each header slot, label and formula
    cell by the block's growth claimed, for blocks of several sizes; _Shape.fixed_fields gives the
    layout the moved addresses."""
    from itertools import repeat
    seen = []
    real = reader._unmapped
    monkeypatch.setattr(reader, "_unmapped", lambda grid, claimed, covered: (seen.append(set(claimed)),
                                                                            real(grid, claimed, covered))[1])
    for grid, ts in _grids(tmp_path):
        if ts is None:
            continue
        shape, T = reader._shape(ts), ts.loop_row
        for extra in (0, 3):
            g = copy.copy(grid)
            if T is not None:
                g.rows = [list(r) for r in grid.rows[:T]] + [list(grid.rows[T - 1]) for _ in range(extra)] + [
                    list(r) for r in grid.rows[T:]]
            seen.clear()
            layout = reader.read_shaped(g, ts)[4]
            end = reader._block_end(g, T, ts) if T is not None else 0
            s = end - 1 - T if T is not None else 0

            def moved(r):
                return r if T is None or r < T else r + s

            want = {(moved(r0), c) for _slot, _single, r0, c, _letter in shape.header}
            want |= {(moved(r0), c) for r0, c in shape.literals}
            for r0, c in shape.formulas:
                if T is not None and r0 == T:
                    want.update(zip(range(T, end), repeat(c)))
                else:
                    want.add((moved(r0), c))
            if T is not None:
                want |= {(r, c) for r in range(T, end) for c, *_ in shape.loop}
            assert seen == [want]
            # the layout's header fields: each slot's address, moved as the block grew
            assert layout.fields == tuple((label, f"{letter}{moved(r)}") for label, letter, r in shape.fields)


def test_a_mixed_cell_parses_as_its_pattern_would():
    """_parse_with with at most one field not known (no pattern built): what matching the pattern of the
    known fields as literal text gives, on random slot texts, values and known fields."""
    import random

    from perfbook.write._template import Slot
    rnd = random.Random(18)
    words = ["年", "项目", "（", "）", "目标", "2024", "a", ".", "*", " ", "\n", ""]
    labels = ["预算年度", "项目名称", "实施期限"]
    for _ in range(20000):
        labs = rnd.choices(labels, k=rnd.randint(1, 3))
        text = "".join(rnd.choice(words) + "{{ " + lab + " }}" for lab in labs) + rnd.choice(words)
        slot = Slot(1, 1, text, tuple(labs), False)
        known = {lab: rnd.choice(["2024", "网络.经费", "", 2024, "年"]) for lab in labs if rnd.random() < 0.6}
        fill = {lab: known.get(lab, rnd.choice(["", "x", "年项目", "2025"])) for lab in labs}
        value = "".join(rnd.choice(words) + str(fill[lab]) for lab in labs) if rnd.random() < 0.3 else \
            text.replace("{{ ", "").replace(" }}", "")
        for lab in labs:
            value = value.replace(lab, str(fill[lab]), 1) if rnd.random() < 0.9 else value
        assert _outcome(reader._parse_with, slot, value, known) == _outcome(
            reader._parse_pattern if known else lambda s, v, _k: s.parse(v), slot, value, known), (text, value, known)


def _outcome(fn, *args):
    """fn's answer, or the type of what it raised (slot.parse of a synthetic slot may)."""
    try:
        return fn(*args)
    except Exception as exc:      # noqa: BLE001 - compared, not hidden
        return type(exc)


def test_the_role_is_the_one_the_full_count_picks(tmp_path):
    """match_role stops counting a template sheet that can no longer win, and stops at a full score:
    the same sheet (or None) as counting every label of every sheet, on the seed's sheets with labels
    blanked or changed at random."""
    import random
    rnd = random.Random(18)
    tpl = reader.load_template()

    def full_count(grid):
        best, best_score = None, 0.0
        for ts in tpl.sheets:
            lits = reader._shape(ts).lits if ts.dynamic else ()
            if len(lits) < 2:
                continue
            score = sum(1 for (r, c), t in lits if reader._label_at(grid.rows, r, c, t)) / len(lits)
            if score > best_score:
                best, best_score = ts, score
        return best if best_score >= reader.MATCH_THRESHOLD else None

    picked = set()
    for grid, _ts in _grids(tmp_path):
        for _ in range(400):
            g = copy.copy(grid)
            g.rows = [list(r) for r in grid.rows]
            for _ in range(rnd.randint(0, 14)):
                r = rnd.randrange(len(g.rows))
                if g.rows[r]:
                    g.rows[r][rnd.randrange(len(g.rows[r]))] = rnd.choice(["", None, "x", "项目名称", 1])
            want = full_count(g)
            assert reader.match_role(g, tpl) is want
            picked.add(None if want is None else want.name)
    assert len(picked) >= 3          # both sheets of the seed, and no sheet at all
