"""Live adapters and the live runtime: the same components on the wall clock.

``bootstrap.build_live`` is the one place that chooses this world (STYLE 1):
``WallClock`` on asyncio, uuid ids, an event log, a venue gateway, market
data, accounts and API tokens from ``live.toml``. ``runtime.LiveRuntime``
dispatches messages in process; ``http_api`` serves ``POST /v1/orders`` and
friends over FastAPI. Nothing under ``components/`` outside this package may
import it.
"""
