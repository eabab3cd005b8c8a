"""Production components of the broker-dealer platform.

Importable with the standard library, numpy and pyyaml only: domain types,
ports (``ports``) with in-memory adapters (``memory``), the shared config
(``config``), the one wiring of the platform (``kernel``), and one module or
package per service. The twin's adapters live in ``twin``, the live ones in
``live``; nothing here imports either (import-linter contracts in
pyproject.toml, run by the tests).
"""
