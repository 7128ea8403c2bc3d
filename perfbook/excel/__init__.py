"""Excel's own parts: the VBA project (_vba) in a compound file (_cfb) with MS-OVBA compression
(_ovba), and the .xlam add-in (_addin)."""

__all__: list[str] = []   # a package of modules: import what you need from them
