"""Excel's own parts: the VBA project (_vba) in a compound file (_cfb) with MS-OVBA compression
(_ovba), and the .xlam add-in (_addin)."""
