"""Production components of the broker-dealer platform.

Importable without simpy or the twin: domain types, ports, and one module per
service. Live adapters live under ``components.live``; the twin's adapters live
in ``twin``. Domain code here imports only ``components.domain`` and
``components.ports``.
"""
