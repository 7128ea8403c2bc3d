"""The rule language compiled to VBA: one Sub per rule in the generated PerfbookRules module.

Values are Variants with the Python side's meaning (rule_python): X* functions in macros/PerfbookUtil.bas
are the value primitives (XEq, XCmp, XCat, XT, XShow, …), those in macros/PerfbookCheck.bas read the row
being checked (XFieldN, XFact, XTyped) and the frame (XFrame). Parameters are known when the add-in is
built, so they are written in as literals; the frame is the one the macro chose, read at run time.
Every condition is evaluated whole (VBA's And does not short-circuit), so each primitive is total: a
failed sum is a marker value that every comparison reads as FALSE, as Python does.
"""
from __future__ import annotations

import re

from .. import _fields as F
from ._formula import HELPER_OF
from ._lang import Node

SEP = "\x1f"
LIST_FRAME_ATTRS = {"required_fields", "qualitative", "units", "requirements", "groups"}
LIST_CALLS = {"LEVEL1NAMES", "LEVEL2NAMES"}

# primitive → VBA template over the compiled arguments ({0}, {1}, …; {row} is the row variable)
CALLS = {
    "ISBLANK": "XIsBlank({0})", "ISNUMBER": "XIsNumber({0})", "ISTEXT": "XIsText({0})",
    "TRIM": "TrimX({0})", "STRIP": "PyStrip({0})", "LEN": "Len({0})",
    "NAMELEN": "Len(CleanText({0}, False))", "N": "XN({0})", "ABS": "XAbs({0})",
    "ROUND": "XRound({0}, {1})", "NUMBER": "XNumber({0})", "CHAR": "ChrW({0})",
    "IN": "InListCI({1}, {0})", "CONTAINS": "(ContainsAny({1}, {0}) <> \"\")",
    "FIRSTIN": "ContainsAny({1}, {0})", "HASDIGIT": "HasDigit({0})",
    "ISPLACEHOLDER": "XIsPlaceholder({0})", "ISPERCENT": "XIsPercent({0})", "ISUNIT": "XIsUnit({0})",
    "CANSPLIT": "XSplit({0}, 0)", "SPLITSIGN": "XSplit({0}, 1)", "SPLITNUMBER": "XSplit({0}, 2)",
    "SPLITUNIT": "XSplit({0}, 3)", "JOIN": "XJoin({0}, {1}, {2})", "ISFRAMENAME": "XIsFrameName({0})",
    "LEVEL1NAMES": "XLevel1Names()", "LEVEL2NAMES": "XLevel2Names({row})", "LEVEL1OF": "XLevel1Of({0})",
    "LEVEL1WITH": "XLevel1With({0})", "TYPED": "XTyped({row}, {0})", "ROWS": "XRows()",
    "HASPATTERN": "XHasPattern({1}, {0})", "OCCURS": "XOccurs({1}, {0})", "AMOUNTS": "XAmounts({0})",
    "MONEYIN": "XMoneyIn({0}, {1})", "HEADER": "XFieldL(0, {0})",
    "EXCERPT": "XExcerpt({0}, {1})", "HASFIELD": "XHasField({0})",
    "PLACED": "XHasField({0})",      # the 校验 button runs on perfbook's template: a place is a label on the sheet
}


BOOL = {n: "b" for n in ("ISBLANK", "ISNUMBER", "ISTEXT", "IN", "CONTAINS", "HASDIGIT", "ISPLACEHOLDER",
                          "ISPERCENT", "ISUNIT", "ISFRAMENAME", "HASPATTERN", "MONEYIN", "HASFIELD", "PLACED")}
TEXT_ARGS = {"TRIM", "STRIP", "LEN", "NAMELEN", "HASDIGIT", "AMOUNTS", "HEADER", "HASFIELD", "PLACED"}
TEXT_RESULT = {"TRIM", "STRIP", "FIRSTIN", "LEVEL1OF", "LEVEL1WITH", "CHAR", "EXCERPT"}


class VbaCompiler:
    """Compiles the rules of one module; aggregates become helper functions collected in `functions`."""

    def __init__(self, vba_string, params_value, field_names: dict, proj_names: dict):
        self.s = vba_string
        self.param = params_value
        self.field_names = field_names          # indicator label → FieldName (ASCII)
        self.proj_names = proj_names            # header label → ProjName
        self.functions: list[str] = []
        self.consts: dict[str, str] = {}        # text → name of the module variable holding it

    def text(self, t: str) -> str:
        """A text literal: short ASCII inline, anything else once in a module variable (LoadRuleTexts)."""
        if t == "" or (len(t) < 30 and all(32 <= ord(ch) < 127 for ch in t)):
            return self.s(t)
        if t not in self.consts:
            self.consts[t] = f"RT{len(self.consts) + 1}"
        return self.consts[t]

    # --- values --------------------------------------------------------------------------------
    def lit(self, v) -> str:
        if isinstance(v, bool):
            return "True" if v else "False"
        if isinstance(v, (int, float)):
            return repr(v).upper() if isinstance(v, float) else str(v)
        if isinstance(v, (list, tuple)):
            return self.text(SEP + SEP.join(str(x) for x in v) + SEP if v else SEP)
        return self.text("" if v is None else str(v))

    def is_list(self, node: Node, lets, var) -> bool:
        if node.kind == "list":
            return True
        if node.kind == "call":
            return node.value in LIST_CALLS
        if node.kind == "name":
            n = node.text
            if n in lets:
                return self.is_list(lets[n], lets, var)
            if n.startswith("frame."):
                return n[6:] in LIST_FRAME_ATTRS
            if var and (n == var or n.startswith(var + ".")):
                return False
            try:
                return isinstance(self.param(n), (list, tuple))
            except KeyError:
                return False
        return False

    def as_list(self, node, env) -> str:
        x = self.expr(node, env)
        return x if self.is_list(node, env["lets"], env["var"]) else f"XL({x})"

    # --- expressions ---------------------------------------------------------------------------
    def expr(self, node: Node, env: dict) -> str:
        return self.typed(node, env)[0]

    def b(self, node, env) -> str:
        """As a Boolean (XT() only where the value may be something else)."""
        code, t = self.typed(node, env)
        return code if t == "b" else f"XT({code})"

    def t(self, node, env) -> str:
        """As text (XShow() only where the value may be something else)."""
        code, t = self.typed(node, env)
        return code if t == "s" else f"XShow({code})"

    def typed(self, node: Node, env: dict) -> tuple[str, str]:
        """(VBA code, its type: b Boolean, s text, v any Variant), so b() and t() convert only when needed."""
        k = node.kind
        if k in ("num", "str", "bool"):
            return self.lit(node.value), {"num": "v", "str": "s", "bool": "b"}[k]
        if k == "list":
            return "(SEP" + "".join(f" & {self.t(a, env)} & SEP" for a in node.args) + ")", "s"
        if k == "name":
            return self.name(node.text, env), "v"
        if k == "neg":
            return f'XArith(0, "-", {self.expr(node.args[0], env)})', "v"
        if k == "op":
            return self.op(node.text, node.args, env)
        return self.call(node.text, node.args, env)

    def op(self, op: str, args, env: dict) -> tuple[str, str]:
        """An operator: & joins texts, arithmetic and comparisons go through PerfbookUtil (a failed sum is FALSE)."""
        if op == "&":
            return f"{self.t(args[0], env)} & {self.t(args[1], env)}", "s"
        a, b = (self.expr(x, env) for x in args)
        if op in "+-*/":
            return f'XArith({a}, "{op}", {b})', "v"
        if op == "=":
            return f"XEq({a}, {b})", "b"
        return f'XCmp({a}, "{op}", {b})', "b"

    def call(self, name: str, args, env: dict) -> tuple[str, str]:
        """A call: the logic and aggregates are shaped here, every other primitive is its CALLS template."""
        if name in ("AND", "OR"):
            return "(" + f" {name.title()} ".join(self.b(a, env) for a in args) + ")", "b"
        if name == "NOT":
            return f"(Not {self.b(args[0], env)})", "b"
        if name == "IF":
            e = self.expr(args[2], env) if len(args) > 2 else "False"
            return f"XIf({self.b(args[0], env)}, {self.expr(args[1], env)}, {e})", "v"
        if name == "THIS":
            return self.typed(args[0], {**env, "row": env["this"], "agg": False})
        if name in ("COUNTUP", "COUNTALL", "SUM", "COUNT", "FIRSTUP", "FIRSTALL"):
            return self.aggregate(name, args[0], env), "v"
        if name == "FIELD":
            row = env['row'] if env['agg'] or env['scope'] == 'row' else '0'
            return f"XFieldL({row}, {self.t(args[0], env)})", "v"
        if name in ("IN", "CONTAINS", "FIRSTIN", "HASPATTERN", "OCCURS"):
            kind = "v" if name == "OCCURS" else BOOL.get(name, "s")
            return CALLS[name].format(self.t(args[0], env), self.as_list(args[1], env)), kind
        if name == "JOIN":
            n = self.expr(args[2], env) if len(args) > 2 else "-1"
            return CALLS[name].format(self.as_list(args[0], env), self.t(args[1], env), n), "s"
        parts = [self.t(a, env) if name in TEXT_ARGS else self.expr(a, env) for a in args]
        return CALLS[name].format(*parts, row=env["row"]), BOOL.get(name, "s" if name in TEXT_RESULT else "v")

    def name(self, n: str, env: dict) -> str:
        lets, var = env["lets"], env["var"]
        if n in lets:
            return self.expr(lets[n], env)
        if var and n == var:
            return "it"
        if var and n.startswith(var + "."):
            return f'XAttr(it, "{n[len(var) + 1:]}")'
        in_row = env["scope"] == "row" or env["agg"]
        if in_row and n in HELPER_OF:
            return f'XFact({env["row"]}, "{HELPER_OF[n]}")'
        if in_row and n in self.field_names:
            return f'XFieldN({env["row"]}, "{self.field_names[n]}")'
        if not in_row and n in self.proj_names:
            return f'XProj("{self.proj_names[n]}")'
        if n in self.field_names:
            return f'XFieldN({env["row"]}, "{self.field_names[n]}")'
        if n.startswith("frame."):
            return f'XFrame("{n[6:]}")'
        return self.lit(self.param(n))

    def aggregate(self, name: str, cond: Node, env: dict) -> str:
        fn = f"Agg{len(self.functions) + 1}"
        sub = {**env, "row": "j", "this": env["row"] if env["scope"] == "row" else "0", "agg": True}
        inner = self.b(cond, sub) if name in ("COUNTUP", "COUNTALL", "FIRSTUP", "FIRSTALL") else self.expr(cond, sub)
        upper = {"COUNTUP": "i", "FIRSTUP": "i - 1"}.get(name, "XRows()")
        if name in ("COUNTUP", "COUNTALL"):
            body, result = f"If {inner} Then acc = acc + 1", "acc"
        elif name == "SUM":
            body, result = f"v = {inner}\r\n        If XIsNumber(v) Then acc = acc + v", "acc"
        elif name == "COUNT":
            body, result = f"v = {inner}\r\n        If XIsNumber(v) Then acc = acc + 1", "acc"
        else:
            label = "XRowLabel(j)" if name == "FIRSTUP" else "j"
            body = f"If {inner} Then\r\n            {fn} = {label}\r\n            Exit Function\r\n        End If"
            result = '""' if name == "FIRSTUP" else "0"
        self.functions.append(
            f"Private Function {fn}(ByVal i As Long, ByVal it As Variant) As Variant\r\n"
            f"    Dim j As Long, acc As Double, v As Variant\r\n"
            f"    For j = 1 To {upper}\r\n        {wrap(body)}\r\n    Next j\r\n"
            f"    {fn} = {result}\r\nEnd Function")
        return f"{fn}({'i' if env['scope'] == 'row' else '0'}, it)"

    # --- one rule ------------------------------------------------------------------------------
    def rule_sub(self, k: int, c, unless) -> str:
        r = c.rule
        env = {"lets": c.lets, "var": c.each_var, "scope": r.scope, "row": "i" if r.scope == "row" else "0",
               "this": "0", "agg": False}
        lines = [f"Private Sub Rule{k}(ByVal k As Long, ByVal i As Long)",
                 "    Dim it As Variant, its As Variant, n As Long, at As Long, lab As String"
                 + "".join(f", a{j} As String" for j in range(1, len(c.args) + 1))]
        its = f"Items({self.as_list(c.each_list, env)})" if c.each_var else 'Array("")'
        lines += [f"    its = {its}", "    For n = 0 To UBound(its)", "        it = its(n)",
                  f"        If {self.b(c.when, env)} Then"]
        if unless is not None:
            lines.append(f"        If Not {self.b(unless.when, {**env, 'lets': unless.lets})} Then")
        if c.row is not None:
            lines.append(f"            at = {self.expr(c.row, env)}")
        else:
            lines.append(f"            at = {'i' if r.scope == 'row' else '0'}")
        field = self.t(c.field, env) if c.field is not None else self.lit(r.field or "")
        lines.append(f"            lab = {field}")
        if c.row is not None:
            lines.append('            If at = 0 Then lab = ""')
        for j, (name, node) in enumerate(c.args, start=1):
            lines.append(f"            a{j} = {self.t(node, env)}")
        args = "".join(f", {self.lit(name)}, a{j}" for j, (name, _node) in enumerate(c.args, start=1))
        lines.append(f"            XHit k, lab, at, it, Fmt(RuleMsg(k){args}), Fmt(FixText(k){args}), "
                     f"{'True' if r.scope == 'project' else 'False'}")
        if unless is not None:
            lines.append("        End If")
        lines += ["        End If", "    Next n", "End Sub"]
        return "\r\n".join(wrap(x) for x in lines)


def wrap(line: str, limit: int = 700) -> str:
    """A long statement broken after commas outside string literals (VBA lines hold 1023 characters,
    a statement at most 24 continuations)."""
    if len(line) <= limit or "\r\n" in line:
        return line
    out, cur, in_str, n = [], "", False, 0
    for i, ch in enumerate(line):
        cur += ch
        if ch == '"':
            in_str = not in_str
        if ch == "," and not in_str and len(cur) > limit * 0.8 and n < 22:
            out.append(cur)
            cur, n = "", n + 1
    out.append(cur)
    return " _\r\n        ".join(out)


def rules_code(compiled: dict, vba_string, params_value) -> tuple[str, str]:
    """The generated part of PerfbookRules: (declarations of the texts the rules use; a Sub per rule,
    the two dispatchers PerfbookCheck calls and LoadRuleTexts)."""
    comp = VbaCompiler(vba_string, params_value, {s.label: s.name for s in F.indicator_fields()},
                       {s.label: s.name for s in F.project_fields()})
    subs: list[str] = []
    row_cases: list[int] = []
    proj_cases: list[int] = []
    for k, c in enumerate(compiled.values(), start=1):
        unless = compiled[c.rule.unless] if c.rule.unless else None
        subs.append(comp.rule_sub(k, c, unless))
        (row_cases if c.rule.scope == "row" else proj_cases).append(k)

    def dispatch(name, cases, arg):
        body = "".join(f"    Case {k}\r\n        Rule{k} k, {arg}\r\n" for k in cases)
        return (f"Public Sub {name}(ByVal k As Long, ByVal i As Long)\r\n    Select Case k\r\n{body}"
                f"    End Select\r\nEnd Sub")
    parts = [f"' rule {k}: {c.rule.id}" for k, c in enumerate(compiled.values(), start=1)]
    names = list(comp.consts.items())
    decls = "".join(f"Private {n} As String\r\n" for _t, n in names)
    loader = "Private Sub LoadRuleTexts()\r\n" + "".join(f"    {n} = {vba_string(t)}\r\n" for t, n in names) + "End Sub"
    code = "\r\n".join(parts) + "\r\n\r\n" + dispatch("RunRowRule", row_cases, "i") + "\r\n\r\n" \
        + dispatch("RunProjectRule", proj_cases, "0") + "\r\n\r\n" + "\r\n\r\n".join(subs) \
        + "\r\n\r\n" + "\r\n\r\n".join(comp.functions) + "\r\n\r\n" + loader
    return decls, re.sub(r"[ \t]+\r\n", "\r\n", code)
