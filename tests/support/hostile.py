"""Builders for hostile and broken workbooks (generated in tmp dirs; nothing large is committed)."""
from __future__ import annotations

import os
import signal
import struct
import time
import zlib
from pathlib import Path

from perfbook.ooxml._package import Entry, build_zip, deflate

LOL = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
       + b"]>\n")
XXE = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def base_parts() -> dict[str, bytes]:
    """A small valid workbook written by hand, with a shared-strings part as Excel writes it."""
    strings = ["项目名称：", "测试项目", "一级指标", "二级指标", "三级指标", "指标值", "产出指标", "数量指标", "培训人数", "≥60人"]
    sst = "".join(f"<si><t>{t}</t></si>" for t in strings)
    cells = [["A1", 0], ["B1", 1], ["A2", 2], ["B2", 3], ["C2", 4], ["D2", 5], ["A3", 6], ["B3", 7], ["C3", 8], ["D3", 9]]
    rows = {}
    for ref, i in cells:
        rows.setdefault(ref[1:], []).append(f'<c r="{ref}" t="s"><v>{i}</v></c>')
    data = "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in rows.items())
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>").encode(),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>').encode(),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">'
            f'<dimension ref="A1:D3"/><sheetData>{data}</sheetData></worksheet>').encode(),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{sst}</sst>').encode(),
    }


def write_parts(path: Path, parts: dict[str, bytes], level: int = 6) -> Path:
    path.write_bytes(build_zip([deflate(n, d, level) for n, d in parts.items()]))
    return path


def with_doctype(xml: bytes, prolog: bytes, ref: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    return prolog + body.replace(b"</t>", ref + b"</t>", 1).replace(b"<v>", b"<v>" + ref, 1)


def sheet_xml(rows: bytes = b"", tail: bytes = b"", dimension: bytes = b"A1:D3") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<dimension ref="' + dimension + b'"/><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' + rows + b"</sheetData>" + tail + b"</worksheet>")


def zip_bomb(path: Path, mb: int = 60) -> Path:
    """A real bomb: a sheet of `mb` MB of blanks that deflates ~1000:1."""
    parts = base_parts()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b" " * (1 << 20)
    data = bytearray()
    head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    data += c.compress(head)
    crc = zlib.crc32(head)
    for _ in range(mb):
        data += c.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    tail = b"</sheetData></worksheet>"
    data += c.compress(tail) + c.flush()
    crc = zlib.crc32(tail, crc)
    entries = [deflate(n, d) for n, d in parts.items() if n != "xl/worksheets/sheet1.xml"]
    entries.append(Entry(b"xl/worksheets/sheet1.xml", crc, len(head) + mb * len(chunk) + len(tail), bytes(data)))
    path.write_bytes(build_zip(entries))
    return path


def lying_zip(path: Path, mb: int = 100, declared: int = 2000) -> Path:
    """The central directory says the sheet is `declared` bytes; it inflates to `mb` MB."""
    parts = base_parts()
    e = deflate("xl/worksheets/sheet1.xml", sheet_xml(rows=b" " * (mb << 20)))
    entries = [deflate(n, d) for n, d in parts.items() if n != "xl/worksheets/sheet1.xml"]
    entries.append(Entry(e.name, e.crc, declared, e.data))
    path.write_bytes(build_zip(entries))
    return path


def declared_bomb(path: Path) -> Path:
    """A header declaring a 3 GB part."""
    parts = base_parts()
    e = deflate("xl/worksheets/sheet1.xml", parts["xl/worksheets/sheet1.xml"])
    entries = [deflate(n, d) for n, d in parts.items() if n != "xl/worksheets/sheet1.xml"]
    entries.append(Entry(e.name, e.crc, 3 * 1024 ** 3 - 1, e.data))
    path.write_bytes(build_zip(entries))
    return path


def cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding the given streams, each padded
    to at least 4096 bytes so that they live in the regular FAT (no mini stream needed)."""
    SECT = 512
    FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    datas = [(n, d + b"\0" * max(0, 4096 - len(d))) for n, d in streams.items()]
    fat = [FATSECT, END]                 # sector 0: FAT, sector 1: directory
    starts = []
    body = b""
    for _n, d in datas:
        nsec = -(-len(d) // SECT)
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(nsec - 1)] + [END]
        body += d + b"\0" * (nsec * SECT - len(d))
    assert len(fat) <= SECT // 4
    fat += [FREE] * (SECT // 4 - len(fat))

    def stream_entry(i, name, data):
        n = name.encode("utf-16-le") + b"\0\0"
        right = i + 2 if i + 1 < len(datas) else FREE
        return (n.ljust(64, b"\0") + struct.pack("<HBB", len(n), 2, 1) + struct.pack("<III", FREE, right, FREE)
                + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<II", starts[i], len(data)) + b"\0" * 4)

    root = (("Root Entry".encode("utf-16-le") + b"\0\0").ljust(64, b"\0") + struct.pack("<HBB", 22, 5, 1)
            + struct.pack("<III", FREE, FREE, 1) + b"\0" * 36 + struct.pack("<II", END, 0) + b"\0" * 4)
    dirs = root + b"".join(stream_entry(i, n, d) for i, (n, d) in enumerate(datas))   # padded sizes: no mini stream
    dirs = dirs.ljust(SECT, b"\0")
    for i in range(len(dirs) // 128):
        e = dirs[i * 128:(i + 1) * 128]
        if e[:2] == b"\0\0":
            entry = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", FREE, FREE, FREE) + b"\0" * 52
            dirs = dirs[:i * 128] + entry + dirs[(i + 1) * 128:]
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", FREE) * 108)
    assert len(header) == SECT, len(header)
    path.write_bytes(header + struct.pack("<128I", *fat) + dirs + body)
    return path


# --- issue 11: builders for the regression tests --------------------------------------------

def workbook(path: Path, sheet: bytes | None = None, workbook_xml: bytes | None = None, **parts: bytes) -> Path:
    """base_parts() with the sheet (and/or workbook.xml) replaced."""
    p = base_parts()
    if sheet is not None:
        p["xl/worksheets/sheet1.xml"] = sheet
    if workbook_xml is not None:
        p["xl/workbook.xml"] = workbook_xml
    p.update(parts)
    return write_parts(path, p)


def dense_sheet(rows: int, cols: int) -> bytes:
    """A legal sheet of rows x cols numbers: costs seconds of CPU to read, which a budget can stop."""
    from perfbook.ooxml._sheetxml import col_letter
    letters = [col_letter(c).encode() for c in range(1, cols + 1)]
    body = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (L, r, r) for L in letters) + b"</row>"
                    for r in range(1, rows + 1))
    return sheet_xml(body, dimension=b"A1:" + letters[-1] + b"%d" % rows)


def mount_tmpfs(where: Path, size_kb: int, ro: bool = False) -> bool:
    """A small (or read-only) filesystem for disk-full and read-only tests; False when not allowed."""
    import subprocess
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size_kb}k" + (",ro" if ro else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True).returncode == 0


def umount(where: Path) -> None:
    import subprocess
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def flipped(data: bytes, rnd, rounds: int = 150, most: int = 4):
    """(k, copy) for k in range(rounds): the bytes as they are (k = 0), then copies with 1..most bytes
    set to random values at random places (tests/test_scan.py, tests/test_stored_copy.py)."""
    for k in range(rounds):
        raw = bytearray(data)
        for _ in range(0 if k == 0 else rnd.randint(1, most)):
            raw[rnd.randrange(len(raw))] = rnd.randrange(256)
        yield k, raw


def die_on_odd(x: int) -> int:
    """A worker's item that kills its process outright (SIGKILL, as the OOM killer does) when x is odd."""
    if x % 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * 10


def marked(mark: str) -> list[int]:
    """The processes whose environment holds mark (a run's helpers, started with PERFBOOK_TEST_MARK=mark)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if mark.encode() in (d / "environ").read_bytes():
                    found.append(int(d.name))
            except OSError:
                pass
    return found


def wait_marked(mark: str, n: int, within: float = 60.0) -> int:
    """Wait until n processes hold mark (a run and its helpers have started); how many do."""
    deadline = time.time() + within
    while time.time() < deadline and len(marked(mark)) < n:
        time.sleep(0.01)
    return len(marked(mark))


def kill_run(proc, mark: str, within: float = 10.0) -> list[int]:
    """kill -9 a run, then wait for every process that holds mark to end: the ones still there after within s."""
    proc.kill()
    proc.wait()
    deadline = time.time() + within
    while time.time() < deadline and marked(mark):
        time.sleep(0.2)
    return marked(mark)
