"""Many workbooks at once: bulk (fill), collect (read and check), their worker pool (_parallel),
database output (_db) and DataFrames (dataframes)."""

__all__: list[str] = []   # a package of modules: import what you need from them
