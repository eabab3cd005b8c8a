"""The live stack's observability: ``/metrics`` and HTTP RED (``http``) and JSON logs (``logs``).

The metrics themselves (names, feeds) are ``components.observability``'s, shared
with the twin; this package only wires them to FastAPI and to ``logging``.
"""
