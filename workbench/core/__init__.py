"""The workbench core: classifications, guidance, rules, episodes and search.

Pure Python on top of SQLite. Nothing in this package may import Textual
(tests/test_architecture.py enforces it), so the CLI, the app and the
benchmarks all share one implementation.
"""
