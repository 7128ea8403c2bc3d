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
