"""The OOXML package: guarded reading and deterministic writing of the zip, sheet XML, A1 references
and the namespace URIs."""

__all__: list[str] = []   # a package of modules: import what you need from them
