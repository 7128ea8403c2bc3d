"""Writing workbooks: the bureau's template compiled once (_template, _render), the validation layer
injected into it (_inject), and fill/new, the public entry points."""

__all__: list[str] = []   # a package of modules: import what you need from them
