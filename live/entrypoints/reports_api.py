"""Sign-off over HTTP in live mode: a compliance officer signs a report package and marks it filed.

``reports_router(compliance, packages, clock, reply, refuse)`` builds the routes;
``live/entrypoints/http_api.create_app`` mounts them with its compliance-only
dependency, so any other role gets 403:

* ``GET /v1/reports/packages/{name}``: the package's state and summary;
* ``POST /v1/reports/packages/{name}/sign``: the officer (the token's name) signs;
* ``POST /v1/reports/packages/{name}/file``: marks a signed, unchanged package filed.

A refusal by the gate (``components.regulatory.signoff``) is a 409 naming the
reason code; an unknown package a 404. Packages are folders under ``packages``
(the live run folder's ``reports/``), prepared with ``twin reports prepare``.
The app passes its reply functions in.

``reports.regulatory.package`` (and with it pandas, xmlschema and jsonschema: seconds of CPU) is imported on the
first reports request, on a worker thread, never at start (``tests/unit/live/test_lazy_start.py``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from components.regulatory.signoff import Refusal

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _import_package() -> ModuleType:
    # Imported here, not at the top: pandas, xmlschema and jsonschema cost every live start seconds of CPU.
    from reports.regulatory import package

    return package


_loaded: ModuleType | None = None


async def _package() -> ModuleType:
    """``reports.regulatory.package``, imported off the event loop the first time (orders keep flowing)."""
    global _loaded
    if _loaded is None:  # set only once the import completed (sys.modules also holds a half-imported module)
        _loaded = await run_in_threadpool(_import_package)
    return _loaded


def reports_router(compliance: Callable[..., Any], packages: Path, clock: Any,
                   reply: Callable[[int, dict[str, Any]], Any],
                   refuse: Callable[[int, str, str], Any]) -> APIRouter:
    """The compliance routes over the packages in ``packages``; ``clock.now_ns()`` dates the events."""
    # Out of the published schema for now: docs/openapi.json (not this module's file) would need
    # regenerating (python -m live.entrypoints.openapi_export) to list these routes.
    router = APIRouter(prefix="/v1/reports", tags=["regulatory reports"], include_in_schema=False)

    def at() -> str:
        return datetime.fromtimestamp(clock.now_ns() // 1_000_000_000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def folder(name: str, package: ModuleType) -> Path | None:
        if not _NAME.fullmatch(name) or not (packages / name / package.LOG).is_file():
            return None
        return packages / name

    def decided(decision: Any) -> Any:
        if isinstance(decision, Refusal):
            return refuse(409, decision.reason, decision.message)
        return reply(200, decision.to_record())

    @router.get("/packages/{name}", summary="A report package's state and summary (compliance)")
    async def show(name: str, _who: Any = Depends(compliance)) -> Any:
        package = await _package()
        pkg = folder(name, package)
        if pkg is None:
            return refuse(404, "not_found", f"no report package {name}")
        summary = json.loads((pkg / "summary.json").read_text()) if (pkg / "summary.json").is_file() else {}
        return reply(200, {"package": name, "state": package.package_state(pkg), "summary": summary})

    @router.post("/packages/{name}/sign", summary="Sign a pending package (compliance officer)")
    async def sign(name: str, who: Any = Depends(compliance)) -> Any:
        package = await _package()
        pkg = folder(name, package)
        if pkg is None:
            return refuse(404, "not_found", f"no report package {name}")
        return decided(package.sign_package(pkg, who.advisor_id, at()))

    @router.post("/packages/{name}/file", summary="Mark a signed package filed (compliance officer)")
    async def mark_filed(name: str, who: Any = Depends(compliance)) -> Any:
        package = await _package()
        pkg = folder(name, package)
        if pkg is None:
            return refuse(404, "not_found", f"no report package {name}")
        return decided(package.file_package(pkg, who.advisor_id, at()))

    return router
