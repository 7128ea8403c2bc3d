"""Reading workbooks: sniff the bytes (_sniff), load a grid of any format (_grid, formats/), map it to
projects (reader for the template's layout, _foreign for everyone else's). Not named read:
perfbook.read is the public function."""

__all__: list[str] = []   # a package of modules: import what you need from them
