"""Fan-out of independent runs: a local process pool by default, a Dask cluster when asked.

``run_many(fn, items)`` calls ``fn(item)`` for every item and returns the
results in item order, wherever they ran. One twin run is single-threaded and
deterministic, so many runs (seed sweeps, suites, swarms, capacity sweeps) are
spread over processes and the result does not depend on where each ran: the
same scenario and seed give the same fingerprint in any process.

Where the runs go:

* ``workers=1``: in this process, one after another, no pickling of results,
  no pool (the simplest to debug: breakpoints and tracebacks work as usual).
* default: a ``concurrent.futures.ProcessPoolExecutor`` with ``workers``
  processes (default ``os.cpu_count()``, never more than there are items),
  started with the ``spawn`` method. Fresh interpreters, not ``fork``: the
  parent may hold threads (the rich progress bar, a Dask client) and forking a
  threaded process can deadlock; spawn also behaves the same on Linux and
  macOS. The price is each worker importing the twin once (about a second).
* ``dask="tcp://host:port"``: submitted to the ``dask.distributed`` scheduler
  at that address. Every worker must run the same code (same commit, same
  dependencies) for the fingerprints to agree.
* ``dask="local"``: a ``LocalCluster`` for this call only: ``workers``
  processes with one thread each, bound to loopback, dashboard off.

``fn`` must be a module-level function (pickled by reference, so importable
by its module name in the workers) and every item and result picklable; a
lambda or nested function is refused up front, except with ``workers=1``,
where nothing leaves the process (tests monkeypatch through that).

Errors: the first item whose ``fn`` raises stops the fan-out. Items not yet
started are cancelled, and ``FanOutError`` is raised naming the failed item's
index and value, chained to the worker's exception (``raise ... from``); the
results of items that had already finished are kept on the error as
``completed`` (index -> result) rather than thrown away, so a caller may report
them. A caller that wants every run to finish whatever happens (a chaos swarm)
catches inside ``fn`` and returns the failure as data.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

START_METHOD = "spawn"
"""How pool workers start: see the module docstring for why not ``fork``."""

DASK_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")
"""Scheduler address schemes ``dask.distributed`` understands."""

DASK_CONNECT_TIMEOUT_S = 10
"""How long to try reaching a scheduler before giving up (``ConnectionError`` naming the address)."""


class FanOutError(RuntimeError):
    """An item's run raised. ``index`` and ``item`` name it; ``completed`` maps the index of every item
    that finished before the failure to its result. The worker's exception is the ``__cause__``."""

    def __init__(self, index: int, item: Any, error: BaseException, completed: dict[int, Any]):
        self.index = index
        self.item = item
        self.completed = completed
        shown = repr(item)
        if len(shown) > 200:
            shown = shown[:197] + "..."
        super().__init__(f"item {index} ({shown}) failed: {type(error).__name__}: {error}")


def run_many(fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None, dask: str | None = None,
             progress: str | None = None) -> list[R]:
    """``[fn(item) for item in items]``, run on a process pool (default), in process (``workers=1``) or on
    Dask (``dask="local"`` or a scheduler address such as ``"tcp://10.0.0.5:8786"``).

    ``workers``: pool processes (default ``os.cpu_count()``), or the LocalCluster's worker count with
    ``dask="local"``; a remote scheduler's cluster has the size it has, so ``workers`` is ignored there.
    ``progress``: the label of a progress bar on stderr, shown only on a terminal.
    Raises ``FanOutError`` for the first item that fails (see the module docstring), ``ValueError`` for a
    bad ``workers`` or ``dask``, ``TypeError`` when ``fn`` cannot be sent to another process,
    ``ConnectionError`` when the Dask scheduler cannot be reached.
    """
    todo = list(items)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers: must be a whole number >= 1, got {workers!r}")
    if dask is not None:
        check_dask_address(dask)
    size = workers if workers is not None else (os.cpu_count() or 1)
    if dask is None and (size == 1 or len(todo) == 0):
        with _bar(progress, len(todo)) as advance:
            return _run_in_process(fn, todo, advance)
    _check_picklable(fn)
    with _bar(progress, len(todo)) as advance:
        if dask is not None:
            return _run_dask(fn, todo, dask, size, advance)
        return _run_pool(fn, todo, min(size, len(todo)), advance)


def check_dask_address(dask: object) -> None:
    """Raise ``ValueError`` (naming ``dask``) unless ``dask`` is "local" or a scheduler address."""
    if not isinstance(dask, str) or not (dask == "local" or dask.startswith(DASK_SCHEMES)):
        raise ValueError(f"dask: expected 'local' or a scheduler address like tcp://HOST:PORT, got {dask!r}")


def _check_picklable(fn: Callable) -> None:
    """Refuse a lambda or nested function up front (by name), instead of failing every item later."""
    try:
        pickle.dumps(fn)
    except Exception as exc:  # pickling raises PicklingError, AttributeError or TypeError
        name = getattr(fn, "__qualname__", repr(fn))
        raise TypeError(f"fn: {name} cannot be sent to a worker process; use a module-level function "
                        f"({type(exc).__name__}: {exc})") from exc


def _run_in_process(fn: Callable[[T], R], todo: Sequence[T], advance: Callable[[], None]) -> list[R]:
    results: list[R] = []
    for index, item in enumerate(todo):
        try:
            results.append(fn(item))
        except Exception as exc:
            raise FanOutError(index, item, exc, dict(enumerate(results))) from exc
        advance()
    return results


def _run_pool(fn: Callable[[T], R], todo: Sequence[T], size: int, advance: Callable[[], None]) -> list[R]:
    context = multiprocessing.get_context(START_METHOD)
    with ProcessPoolExecutor(max_workers=size, mp_context=context) as pool:
        futures: dict[Future, int] = {pool.submit(fn, item): i for i, item in enumerate(todo)}
        results: dict[int, R] = {}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            # Collect every finished success first, so `completed` on a failure holds all of them.
            failed = sorted((futures[f] for f in done if f.exception() is not None))
            for future in done:
                if future.exception() is None:
                    results[futures[future]] = future.result()
                    advance()
            if failed:
                pool.shutdown(wait=False, cancel_futures=True)  # runs already started still finish
                index = failed[0]
                error = next(f for f in done if futures[f] == index).exception()
                raise FanOutError(index, todo[index], error, results) from error
    return [results[i] for i in range(len(todo))]


def _run_dask(fn: Callable[[T], R], todo: Sequence[T], address: str, size: int,
              advance: Callable[[], None]) -> list[R]:
    from distributed import as_completed

    with _dask_client(address, size) as client:
        # pure=False: two equal items are still two runs (a result may hold timings that differ).
        futures = client.map(fn, todo, pure=False)
        index_of = {future.key: i for i, future in enumerate(futures)}
        results: dict[int, R] = {}
        for future in as_completed(futures):
            index = index_of[future.key]
            try:
                results[index] = future.result()
            except Exception as error:  # the worker's exception, re-raised here (or a lost worker's)
                client.cancel([f for f in futures if not f.done()])
                raise FanOutError(index, todo[index], error, results) from error
            advance()
    return [results[i] for i in range(len(todo))]


@contextmanager
def _dask_client(address: str, size: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if address != "local":
        try:
            client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:  # refused, unreachable, or no answer in time
            raise ConnectionError(f"dask: cannot reach the scheduler at {address}: {exc}") from exc
        with client:
            yield client
        return
    # Loopback only and no dashboard: a test or a laptop run opens no port to the network.
    with LocalCluster(n_workers=size, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@contextmanager
def _bar(label: str | None, total: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr when ``label`` is given and stderr is a terminal; yields ``advance``."""
    if label is None or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
