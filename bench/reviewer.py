"""perfbook check measured against the 松岗街道 reviewer (issue 13, "How it is measured").

The reviewer's tool (samon6bl/jixiaopingjia, jixiao.py) reads each sheet at fixed positions (B2 编码,
B7 政策依据, B8 测算依据, B9 年度目标, rows 12… of 一级 | 二级 | 三级 | 指标值 | 指标解释) and applies the
regexes of its rule book (../shared/samples/shenzhen-baoan/review-rules.xlsx, column 正则表达式) as jixiao.py
does. This module re-runs that rule book here with openpyxl, independently of perfbook's reader, and
compares each reviewer finding with perfbook check's findings rule by rule (same sheet; same row for the
row rules). bench/reviewer_judged.yaml holds the hand judgements: reviewer findings that are the
reviewer's own mistakes (left out of recall) and perfbook findings no reviewer rule covers, each right or
a false alarm (precision over 错误 and 警告 findings).

    python bench/reviewer.py            # per-rule recall, precision (this checkout)
    python bench/reviewer.py --speed    # also the time of perfbook check on the ten workbooks
    python bench/reviewer.py --base DIR # the same, with perfbook imported from DIR (e.g. an older tree)
    python bench/reviewer.py --unjudged # perfbook findings not yet in reviewer_judged.yaml
No numbers are asserted here; tests/test_reviewer.py asserts the floors.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import openpyxl
import yaml

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent.parent / "shared" / "samples" / "shenzhen-baoan"
JUDGED = HERE / "reviewer_judged.yaml"
FILES = [f"songgang-{i:02d}.xlsx" for i in range(10)]

REQUIRED = ("数量", "质量", "时效", "成本", "社会效益")        # jixiao.biyaozhibiao_name
OTHERS = ("经济效益", "生态效益", "可持续影响", "服务对象满意度", "其他满意度")
# the reviewer's rules that check a form mechanically (blank cells, a length, a word, a value's shape),
# and the rest (a document cited, a computation shown, the goal's wording, 指标解释)
MECHANICAL = (2, 4, 5, 6, 7, 8, 10, 16, 21, 23, 25)
ALL = (0, 1, 3, 17) + MECHANICAL
# reviewer rule → the perfbook rules that report the same problem
MAP = {
    0: {"basis-document", "basis-required"}, 1: {"calc-basis", "basis-required"}, 2: {"required-project"},
    3: set(), 4: {"required-group"}, 5: {"required-group", "required-field"}, 6: {"required-group", "required-field"},
    7: {"required-group", "required-field"}, 8: {"required-group", "required-field"},
    10: {"required-field", "na-row-missing", "na-misspelt", "required-group", "na-row-incomplete"},
    16: {"required-field", "required-group"}, 17: {"required-field", "required-group"},
    21: {"name-long", "name-length"},
    23: {"qual-vague", "value-cn-numeral", "timeliness-vague", "satisfaction-shape", "qual-disguised",
         "several-targets", "value-numeric", "value-embedded", "na-misspelt", "unit-required", "required-group",
         "na-with-value"},
    25: {"timeliness-vague"},
}
GROUP_OF = {5: "数量", 6: "质量", 7: "时效", 8: "成本"}
ROW_RULES = {16, 17, 21, 23}


def rule_book(path: Path = SAMPLES / "review-rules.xlsx") -> dict[int, str]:
    """编码 → 正则表达式 of the rule book's 正则匹配 rules (as jixiao.shenhe_init keeps them)."""
    ws = openpyxl.load_workbook(path).worksheets[0]
    out = {}
    for row in ws.iter_rows(min_row=3, values_only=True):
        if row[0] is not None and row[2] == "正则匹配" and row[7] not in (None, "空"):
            out[int(row[0])] = row[7]
    return out


def _null(v) -> bool:
    return v is None or (isinstance(v, str) and v == "")      # pandas reads an empty string as NaN


def _s(v) -> str:
    return "" if v is None else str(v)


def reviewer_findings(path: Path, book: dict[int, str]) -> list[tuple]:
    """(file, sheet, rule, row or None, text) for every finding the rule book makes on one workbook."""
    rx = {k: re.compile(v, re.S) for k, v in book.items()}
    out = []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        sheet, f = ws.title.strip(), path.name

        def add(rule, row=None, text=""):
            out.append((f, sheet, rule, row, text))
        policy, calc, goal = ws["B7"].value, ws["B8"].value, ws["B9"].value
        if not _null(policy) and not rx[0].search(_s(policy)):
            add(0, None, _s(policy)[:40])
        if not _null(calc) and not rx[1].search(_s(calc)):
            add(1, None, _s(calc)[:40])
        if _null(goal):
            add(2)
        elif rx[3].search(_s(goal)):
            add(3, None, _s(goal)[:40])
        rows = [(r, [ws.cell(r, c).value for c in range(1, 6)]) for r in range(12, ws.max_row)]
        rows = [(r, v) for r, v in rows if not (isinstance(v[0], str) and v[0].startswith("备注"))]
        req = [(r, v) for r, v in rows if v[1] in REQUIRED]
        if req and all(_null(x) for _r, v in req for x in v[2:]):
            add(4)
        for rule, group in GROUP_OF.items():
            hit = [r for r, v in rows if v[1] == group and all(_null(x) for x in v[2:])]
            if hit:
                add(rule, hit[0])
        if any(_null(x) for _r, v in rows if v[1] in OTHERS for x in v[2:]):
            add(10)
        for r, v in req:
            if _null(v[3]):
                add(16, r, v[1])
            if _null(v[4]):
                add(17, r, v[1])
            if not _null(v[3]) and not rx[23].search(_s(v[3])):
                add(23, r, _s(v[3]))
        for r, v in rows:
            if isinstance(v[2], str) and rx[21].search(v[2]):
                add(21, r, v[2])
        if any(isinstance(v[3], str) and rx[25].search(v[3]) for _r, v in rows if v[1] == "时效"):
            add(25)
    return out


def perfbook_findings(files, base: str | None = None) -> list[tuple]:
    """(file, sheet, rule, row or None, severity, message) of perfbook check on the workbooks."""
    if base:
        sys.path.insert(0, base)
    import perfbook
    out = []
    for f in files:
        for x in perfbook.check(f).findings:
            row = int(re.sub(r"\D", "", x.cell)) if x.cell else None
            out.append((Path(f).name, (x.sheet or "").strip(), x.rule, row, x.severity, x.message))
    return out


def key(t) -> str:
    return f"{t[0]}|{t[1]}|{t[2]}|{t[3] if t[3] is not None else ''}"


def judged() -> dict:
    return yaml.safe_load(JUDGED.read_text("utf-8")) if JUDGED.exists() else {}


def _catches(rv, pf) -> bool:
    f, sheet, rule, row, _t = rv
    if pf[0] != f or pf[1] != sheet or pf[2] not in MAP[rule]:
        return False
    if pf[2] == "required-group":    # a blank row, or a required 二级 marked 不适用: the group's finding
        return rule not in ROW_RULES or (rule in (16, 17) and f"—{_t}”" in pf[5]) \
            or (rule == 23 and _t.strip() == "不适用" and "不适用" in pf[5])
    if rule in ROW_RULES:
        return pf[3] == row
    if rule in GROUP_OF:
        return pf[3] == row or (pf[2] == "required-group" and f"—{GROUP_OF[rule]}”" in pf[5])
    return True


def measure(files=None, base=None) -> dict:
    files = files or [SAMPLES / n for n in FILES]
    book = rule_book()
    rev = [x for f in files for x in reviewer_findings(Path(f), book)]
    pb = perfbook_findings(files, base)
    j = judged()
    mistakes = j.get("reviewer_mistakes") or {}
    per = defaultdict(lambda: Counter())
    matched_pb = set()
    by_sheet = defaultdict(list)
    for i, p in enumerate(pb):
        by_sheet[(p[0], p[1])].append((i, p))
    for rv in rev:
        c = per[rv[2]]
        c["reviewer"] += 1
        hits = [i for i, p in by_sheet[(rv[0], rv[1])] if _catches(rv, p)]
        if key(rv) in mistakes:
            c["mistake"] += 1
            c["copied"] += bool(hits)          # perfbook repeating the reviewer's mistake
            continue
        matched_pb.update(hits)
        c["found" if hits else "missed"] += 1
    graded = [p for p in pb if p[4] in ("错误", "警告")]
    verdicts = j.get("perfbook") or {}
    right = wrong = unjudged = 0
    for i, p in enumerate(pb):
        if p[4] not in ("错误", "警告"):
            continue
        if i in matched_pb:
            right += 1
            continue
        v = verdicts.get(key(p)) or verdicts.get(f"{p[2]}|*")
        if v is None:
            unjudged += 1
        elif str(v).startswith("right"):
            right += 1
        else:
            wrong += 1

    def recall(rules):
        found = sum(per[r]["found"] for r in rules)
        valid = sum(per[r]["found"] + per[r]["missed"] for r in rules)
        return found / valid if valid else 1.0
    return {"per_rule": {r: dict(per[r]) for r in sorted(per)}, "mechanical": recall(MECHANICAL),
            "copied": sum(per[r]["copied"] for r in per),
            "all": recall(ALL), "precision": right / max(1, right + wrong), "right": right, "wrong": wrong,
            "unjudged": unjudged, "graded": len(graded), "reviewer": rev, "perfbook": pb, "matched": matched_pb}


def unjudged_list(m) -> list[str]:
    verdicts = judged().get("perfbook") or {}
    out = []
    for i, p in enumerate(m["perfbook"]):
        if p[4] in ("错误", "警告") and i not in m["matched"] and key(p) not in verdicts \
                and f"{p[2]}|*" not in verdicts:
            out.append(f"{key(p)}  {p[5]}")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", help="import perfbook from this directory")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--unjudged", action="store_true")
    a = ap.parse_args(argv)
    m = measure(base=a.base)
    if a.unjudged:
        print("\n".join(unjudged_list(m)))
        return
    names = {0: "政策依据", 1: "测算依据", 2: "年度目标未填", 3: "年度目标不规范", 4: "绩效目标表未填", 5: "数量未填",
             6: "质量未填", 7: "时效未填", 8: "成本未填", 10: "不适用行留空", 16: "指标值未填", 17: "指标解释未填",
             21: "名称冗长", 23: "指标值不可量化", 25: "时效“及时”"}
    print(f"{'rule':>4} {'':14} reviewer mistake found missed recall")
    for r, c in m["per_rule"].items():
        valid = c.get("found", 0) + c.get("missed", 0)
        rc = f"{c.get('found', 0) / valid:.0%}" if valid else "—"
        print(f"{r:>4} {names.get(r, ''):14} {c.get('reviewer', 0):>8} {c.get('mistake', 0):>7} "
              f"{c.get('found', 0):>5} {c.get('missed', 0):>6} {rc:>6}")
    print(f"recall: mechanical {m['mechanical']:.1%}, all {m['all']:.1%}; reviewer mistakes repeated: {m['copied']}")
    print(f"precision ({m['graded']} 错误/警告): {m['precision']:.1%} (right {m['right']}, false alarms "
          f"{m['wrong']}, unjudged {m['unjudged']})")
    if a.speed:
        if a.base:
            sys.path.insert(0, a.base)
        import perfbook
        files = [SAMPLES / n for n in FILES]
        best = []
        for _ in range(5):
            t = time.process_time()
            for f in files:
                perfbook.check(f)
            best.append(time.process_time() - t)
        print(f"perfbook check, ten workbooks: best of 5 {min(best):.3f} s CPU")


if __name__ == "__main__":
    main()
