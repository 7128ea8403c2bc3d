"""The streams of a VBA project ([MS-OVBA] 2.2–2.4), source only, laid out as Excel writes them.

One function per stream: PROJECT (text properties, module list, obfuscated protection fields),
PROJECTwm (module names in both encodings), VBA/dir (the compressed record list), VBA/_VBA_PROJECT
(version 0xFFFF: no compiled cache, so Office compiles from source on first open) and one compressed
module stream per module. project_tree() returns the storage tree perfbook.excel._cfb writes. Record order and
values follow the Excel-made projects in ../shared/samples/excel-made/ (vbaProject01–05.bin); every
difference left is listed, with its reason, in docs/macros.md.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

CODEPAGE = 1252
CP = "cp1252"
PROJECT_NAME = "VBAProject"
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
# what Excel 2016+ writes (vbaProject01.bin): Win32 SYSKIND, US English LCIDs, this PROJECTVERSION
SYSKIND = 0x00000001
LCID = 0x0409
VERSION_MAJOR, VERSION_MINOR = 0x5EE9F6BA, 0x0006
VERSION_COMPATIBLE = "393222000"
# the references every Excel project carries: OLE Automation and the Office object library
REFERENCES = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    ("Office", r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared"
               r"\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library"),
)


@dataclass(frozen=True)
class Stream:
    """One module as the project stores it: name, document (True) or standard, compressed source."""

    name: str
    document: bool
    compressed: bytes          # [MS-OVBA] 2.4.1 CompressedContainer of the module's source text


def _rec(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _text(rid: int, uid: int, text: str) -> bytes:
    """A record with its MBCS text followed by the Unicode copy ([MS-OVBA] 2.3.4.2: names, docstrings)."""
    return _rec(rid, text.encode(CP)) + _rec(uid, text.encode("utf-16-le"))


def dir_stream(modules: list[Stream]) -> bytes:
    """The uncompressed dir stream ([MS-OVBA] 2.3.4.2): information, references, modules, terminator."""
    out = bytearray()
    out += _rec(0x01, struct.pack("<I", SYSKIND))
    out += _rec(0x02, struct.pack("<I", LCID))
    out += _rec(0x14, struct.pack("<I", LCID))
    out += _rec(0x03, struct.pack("<H", CODEPAGE))
    out += _rec(0x04, PROJECT_NAME.encode(CP))
    out += _text(0x05, 0x40, "")                                 # PROJECTDOCSTRING
    out += _rec(0x06, b"") + _rec(0x3D, b"")                      # PROJECTHELPFILEPATH (both MBCS)
    out += _rec(0x07, struct.pack("<I", 0))                       # PROJECTHELPCONTEXT
    out += _rec(0x08, struct.pack("<I", 0))                       # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x09, 4, VERSION_MAJOR, VERSION_MINOR)
    out += _text(0x0C, 0x3C, "")                                 # PROJECTCONSTANTS
    for name, libid in REFERENCES:
        out += _text(0x16, 0x3E, name)                            # REFERENCENAME
        lib = libid.encode(CP)
        out += _rec(0x0D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    out += _rec(0x0F, struct.pack("<H", len(modules)))
    out += _rec(0x13, struct.pack("<H", 0xFFFF))                  # PROJECTCOOKIE: 0xFFFF on write
    for m in modules:
        out += _text(0x19, 0x47, m.name)                          # MODULENAME, MODULENAMEUNICODE
        out += _text(0x1A, 0x32, m.name)                          # MODULESTREAMNAME
        out += _text(0x1C, 0x48, "")                              # MODULEDOCSTRING
        out += _rec(0x31, struct.pack("<I", 0))                   # MODULEOFFSET: the source starts the stream
        out += _rec(0x1E, struct.pack("<I", 0))                   # MODULEHELPCONTEXT
        out += _rec(0x2C, struct.pack("<H", 0xFFFF))              # MODULECOOKIE
        out += _rec(0x22 if m.document else 0x21, b"")            # MODULETYPE
        out += _rec(0x2B, b"")                                    # MODULE terminator
    out += _rec(0x10, b"")
    return bytes(out)


def vba_project_stream() -> bytes:
    """_VBA_PROJECT ([MS-OVBA] 2.3.4.1): Reserved1 0x61CC, Version 0xFFFF (no cache), Reserved2 0, Reserved3."""
    return struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0003)


def encrypt(project_id: str, data: bytes, label: str) -> bytes:
    """[MS-OVBA] 2.4.3.2 Data Encryption, the obfuscation of CMG/DPB/GC.

    The spec lets Seed and the ignored bytes be anything; they are derived from the project id and
    the field's name so the same project gives the same bytes.
    """
    seed = hashlib.sha256(f"{project_id}/{label}".encode()).digest()[0]
    version_enc = 2 ^ seed
    proj_key = sum(project_id.encode(CP)) & 0xFF
    proj_key_enc = proj_key ^ seed
    out = bytearray([seed, version_enc, proj_key_enc])
    unenc1, enc1, enc2 = proj_key, proj_key_enc, version_enc
    plain = bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data
    for byte in plain:
        byte_enc = byte ^ ((enc2 + unenc1) & 0xFF)
        out.append(byte_enc)
        enc2, enc1, unenc1 = enc1, byte_enc, byte
    return bytes(out)


def project_stream(project_id: str, modules: list[Stream]) -> bytes:
    """PROJECT ([MS-OVBA] 2.3.1): properties as Excel lists them, CRLF lines, the project code page."""
    lines = [f'ID="{project_id}"']
    lines += [f"Document={m.name}/&H00000000" if m.document else f"Module={m.name}" for m in modules]
    lines += [f'Name="{PROJECT_NAME}"', 'HelpContextID="0"', f'VersionCompatible32="{VERSION_COMPATIBLE}"']
    # not protected (state 0), no password (one 0x00 byte), visible (0xFF)
    for key, data in (("CMG", bytes(4)), ("DPB", b"\0"), ("GC", b"\xff")):
        lines.append(f'{key}="{encrypt(project_id, data, key).hex().upper()}"')
    lines += ["", "[Host Extender Info]", HOST_EXTENDER, "", "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(CP)


def projectwm_stream(modules: list[Stream]) -> bytes:
    """PROJECTwm ([MS-OVBA] 2.3.3): each module name in MBCS and UTF-16, a zero terminator."""
    return b"".join(m.name.encode(CP) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules) + b"\0\0"


def project_tree(project_id: str, modules: list[Stream], compress) -> dict:
    """The compound-file tree of the project, entries in Excel's order (VBA storage, PROJECTwm, PROJECT)."""
    vba = {m.name: m.compressed for m in modules}
    vba["_VBA_PROJECT"] = vba_project_stream()
    vba["dir"] = compress(dir_stream(modules))
    return {"VBA": vba, "PROJECTwm": projectwm_stream(modules), "PROJECT": project_stream(project_id, modules)}
