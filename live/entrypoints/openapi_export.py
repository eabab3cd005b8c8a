"""Write the order API's OpenAPI document to ``docs/openapi.json`` (or check it).

The committed file is what clients and reviewers read; a test asserts it
equals what the app serves at ``/openapi.json``. After changing the API:

    python -m live.entrypoints.openapi_export           # rewrite docs/openapi.json
    python -m live.entrypoints.openapi_export --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document the app serves (it does not depend on the configuration)."""
    from live.bootstrap import build_live
    from live.entrypoints.http_api import create_app

    return create_app(build_live()).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file differs")
    args = parser.parse_args(argv)
    path = Path(args.path)
    text = render(openapi_document())
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run python -m live.entrypoints.openapi_export", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
