"""Benchmarks for bulk generation and collection (python bench/run.py); synth.py makes their data."""
