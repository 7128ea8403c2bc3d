"""The OOXML package: guarded reading and deterministic writing of the zip, sheet XML, A1 references
and the namespace URIs."""
