"""LibreOffice, the real spreadsheet program of the test suite: convert, recalculate, run macros."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SYSTEM_PY = "/usr/bin/python3"


def available() -> bool:
    return bool(SOFFICE) and Path(SYSTEM_PY).exists() and subprocess.run(
        [SYSTEM_PY, "-c", "import uno"], capture_output=True).returncode == 0


def convert(src: Path, outdir: Path, fmt: str = "pdf", timeout: int = 180) -> Path:
    """soffice --convert-to; returns the written file (raises when LibreOffice wrote nothing)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="pb-lo-conv-")
    try:
        proc = subprocess.run(
            [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", fmt, "--outdir", str(outdir), str(src)],
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (Path(src).stem + "." + fmt.split(":")[0])
    if not out.exists():
        raise RuntimeError(f"LibreOffice did not convert {src}: {proc.stdout} {proc.stderr}")
    return out


def run_jobs(jobs: list[dict], timeout: int = 600) -> list[dict]:
    """Open each workbook in one LibreOffice, recalculate / run macros / read cells / store."""
    with tempfile.TemporaryDirectory(prefix="pb-uno-") as tmp:
        job_file, result_file = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_file.write_text(json.dumps({"jobs": jobs}, ensure_ascii=False, default=str), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        proc = subprocess.run([SYSTEM_PY, str(HERE / "uno_run.py"), str(job_file), str(result_file)],
                              capture_output=True, text=True, timeout=timeout, env=env)
        if not result_file.exists():
            raise RuntimeError(f"uno_run failed: {proc.stdout}\n{proc.stderr}")
        return json.loads(result_file.read_text(encoding="utf-8"))["results"]


def recalc(src: Path, out: Path, cells=()) -> dict:
    """Recalculate in LibreOffice and store as xlsx (cached values then hold LibreOffice's results)."""
    return run_jobs([{"in": str(src), "out": str(out), "recalc": True, "cells": [list(c) for c in cells]}])[0]


def convert_all(srcs, outdir: Path, fmt: str = "xlsx", timeout: int = 600) -> dict[Path, Path]:
    """Many files in one soffice run (LibreOffice starts once): {source: converted file}."""
    srcs = [Path(s) for s in srcs]
    outdir.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="pb-lo-conv-")
    try:
        proc = subprocess.run(
            [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", fmt, "--outdir", str(outdir), *map(str, srcs)],
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = {s: outdir / (s.stem + "." + fmt.split(":")[0]) for s in srcs}
    missing = [str(s) for s, o in out.items() if not o.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not convert {missing}: {proc.stdout} {proc.stderr}")
    return out
