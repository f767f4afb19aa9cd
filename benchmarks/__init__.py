"""Benchmarks of the NICE coding workbench: ``python -m benchmarks`` (see README.md)."""
