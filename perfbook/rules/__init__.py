"""The rules: one definition each (_catalog over data/rules.yaml, the language _lang), compiled to
Python (_python), workbook formulas (_formula) and VBA (_vba); frames, findings, check and annotate."""

__all__: list[str] = []   # a package of modules: import what you need from them
