"""Drive a real LibreOffice through UNO: open workbooks, recalculate, run macros, store, report cells.

Runs under the system python3 (the one with the `uno` module), never under the project's venv:
    /usr/bin/python3 tests/support/uno_run.py JOB.json RESULT.json
JOB is {"jobs": [{"in": path, "out": path|null, "filter": "Calc MS Excel 2007 XML",
                  "recalc": true, "activate": "Sheet", "macros": ["Module.Sub", ["Module.Fn", [args]], ...], "cells": [["Sheet", "A1"], ...],
                  "type": [["Sheet", "A1", "text"], ...], "heights": [["Sheet", row], ...],
                  "steps": [{"activate": "Sheet", "macros": [...], "read": ["Sheet", ...]}, ...]}]}.
"type" enters text into cells as an official would (before and after it, "heights" reports those rows'
heights in points, as "heights_before" / "heights"). "steps" run after "macros" on the same open
workbook (one load for many sheets): each activates a sheet,
runs its macros and reads whole sheets back as text (one call per sheet, nothing stored).
It starts its own soffice (own profile, own port) and always stops it.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start():
    profile = tempfile.mkdtemp(prefix="pb-lo-")
    port = free_port()
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    proc = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
         f"-env:UserInstallation=file://{profile}",
         f"--accept=socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 90
    while True:
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            break
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                stop(proc, profile)
                raise RuntimeError("soffice did not start")
            time.sleep(0.3)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, profile, desktop


def stop(proc, profile):
    try:
        os.killpg(proc.pid, 9)
    except Exception:
        pass
    try:
        proc.wait(10)
    except Exception:
        pass
    shutil.rmtree(profile, ignore_errors=True)


def cell_value(doc, sheet, ref):
    sh = doc.Sheets.getByName(sheet)
    c = sh.getCellRangeByName(ref)
    t = c.Type.value  # EMPTY VALUE TEXT FORMULA
    if t == "EMPTY":
        return None
    if t == "VALUE":
        return int(c.Value) if float(c.Value).is_integer() else c.Value
    if t == "FORMULA":
        # com.sun.star.sheet.FormulaResult: VALUE 1, STRING 2, ERROR 4 (an int, or an enum-like in other builds)
        kind = c.FormulaResultType2
        kind = getattr(kind, "value", kind)
        if kind in (2, "TEXT"):
            return c.String
        if kind in (4, "ERROR"):
            return "#ERR:" + c.String
        v = c.Value
        return int(v) if float(v).is_integer() else v
    return c.String


def cell_info(doc, sheet, ref):
    sh = doc.Sheets.getByName(sheet)
    c = sh.getCellRangeByName(ref)
    ann = c.getAnnotation()
    return {"value": cell_value(doc, sheet, ref), "back": c.CellBackColor,
            "comment": ann.getString() if ann and ann.getString() else None}


def run_macro(doc, m):
    m, margs = (m, []) if isinstance(m, str) else (m[0], m[1])   # "Module.Sub" or ["Module.Sub", [args]]
    t = time.time()
    script = doc.getScriptProvider().getScript(
        f"vnd.sun.star.script:VBAProject.{m}?language=Basic&location=document")
    res = script.invoke(tuple(margs), (), ())
    return {"macro": m, "result": str(res[0]) if res else None, "seconds": time.time() - t}


def basic_modules(doc):
    libs = doc.BasicLibraries
    if not libs.hasByName("VBAProject"):
        return {}
    libs.loadLibrary("VBAProject")
    lib = libs.getByName("VBAProject")
    return {name: lib.getByName(name) for name in lib.getElementNames()}


def read_sheet(doc, name):
    """The used area of a sheet as the text each cell shows, row by row."""
    sh = doc.Sheets.getByName(name)
    cur = sh.createCursor()
    cur.gotoEndOfUsedArea(False)
    end = cur.getRangeAddress()
    rng = sh.getCellRangeByPosition(0, 0, end.EndColumn, end.EndRow)
    return [list(row) for row in rng.getDataArray()]


def run_job(desktop, job):
    url = uno.systemPathToFileUrl(os.path.abspath(job["in"]))
    args = (prop("Hidden", True), prop("MacroExecutionMode", 4), prop("UpdateDocMode", 1))
    if job.get("filter_in"):          # a type LibreOffice does not detect by itself (an .xlam add-in)
        args += (prop("FilterName", job["filter_in"]),)
    doc = desktop.loadComponentFromURL(url, "_blank", 0, args)
    if doc is None:
        return {"error": "load failed"}
    out = {"sheets": list(doc.Sheets.ElementNames)}
    try:
        def heights():
            return [round(doc.Sheets.getByName(s).Rows.getByIndex(r - 1).Height / 35.2778, 1) for s, r in job["heights"]]
        if job.get("heights"):
            out["heights_before"] = heights()
        for sheet, ref, v in job.get("set", []):     # typed by hand: a number, a text, or None to clear
            c = doc.Sheets.getByName(sheet).getCellRangeByName(ref)
            if v is None:
                c.setFormula("")
            elif isinstance(v, (int, float)):
                c.setValue(v)
            else:
                c.setString(v)
        for s, ref, text in job.get("type", []):
            doc.Sheets.getByName(s).getCellRangeByName(ref).setString(text)
        if job.get("heights"):
            out["heights"] = heights()
        if job.get("recalc", True):
            doc.calculateAll()
        if job.get("activate"):
            doc.CurrentController.setActiveSheet(doc.Sheets.getByName(job["activate"]))
        results = [run_macro(doc, m) for m in job.get("macros", [])]
        out["macros"] = results
        if job.get("steps"):
            out["steps"] = []
        for step in job.get("steps", []):
            if step.get("activate"):
                doc.CurrentController.setActiveSheet(doc.Sheets.getByName(step["activate"]))
            out["steps"].append({"macros": [run_macro(doc, m) for m in step.get("macros", [])],
                                 "read": {name: read_sheet(doc, name) for name in step.get("read", [])
                                          if doc.Sheets.hasByName(name)}})
        if job.get("recalc_after"):
            doc.calculateAll()
        out["cells"] = [cell_info(doc, s, r) for s, r in job.get("cells", [])]
        if job.get("basic"):          # the VBA LibreOffice loaded: module name -> its source text
            out["basic"] = basic_modules(doc)
        if job.get("dump"):
            dump = {}
            for name in doc.Sheets.ElementNames:
                sh = doc.Sheets.getByName(name)
                cur = sh.createCursor()
                cur.gotoEndOfUsedArea(False)
                addr = cur.getRangeAddress()
                dump[name] = [[sh.getCellByPosition(c, r).String for c in range(addr.EndColumn + 1)]
                              for r in range(addr.EndRow + 1)]
            out["dump"] = dump
        if job.get("out"):
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(job["out"])),
                           (prop("FilterName", job.get("filter", "Calc MS Excel 2007 XML")),))
    finally:
        doc.close(True)
    return out


def main():
    job_path, result_path = sys.argv[1], sys.argv[2]
    jobs = json.load(open(job_path, encoding="utf-8"))["jobs"]
    proc, profile, desktop = start()
    results = []
    try:
        for job in jobs:
            try:
                results.append(run_job(desktop, job))
            except Exception as exc:
                results.append({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        stop(proc, profile)
    json.dump({"results": results}, open(result_path, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
