"""Draw a report's figures on the machine's cores: each figure built and drawn in a forked worker.

A run report embeds about fifteen matplotlib figures as PNG data URIs, and drawing them is most of a
run's outputs phase (issue 19). Each figure is independent of the others, so ``render`` hands every
``FigureJob`` (a module-level figure function and the plain data it draws) to a
``concurrent.futures.ProcessPoolExecutor`` whose workers are started with ``fork``, and gets the PNG
data URI back. The results come back in the jobs' order, whatever finished first, and are the same
bytes as drawing in this process (tests/unit/reports/test_figure_pool.py): a forked worker starts with
this process's matplotlib state (rcParams, fonts), and a figure is drawn by the same code either way.

Why ``fork``: a worker starts in milliseconds with matplotlib already imported, where ``spawn``
would re-import matplotlib, pandas and the report modules in each (about a second of CPU per worker,
as much as the figures it would draw). A fork copies only the calling thread: a lock another thread
held at that moment (a console's, a buffered stream's) stays locked in the child for ever. So workers
are forked only while this is the process's only thread (``twin run`` stops its progress bar before
its outputs for that); with another thread alive everything is drawn in this process.

How many workers (``pool_size``): ``workers=`` when given, else the ``TWIN_REPORT_WORKERS``
environment variable, else ``os.cpu_count()``; never more than ``os.cpu_count()`` or the number of
figures. One worker means sequential, in this process, with no pool at all: that is also what happens
for a single figure, where ``fork`` is not available (Windows), while another thread is alive, and,
unless asked otherwise, inside a worker process of another pool (``twin.fanout``'s runs already share
out the cores).

What the workers cost: each is a copy-on-write fork of the report-writing process, so its peak
resident set counts the parent's pages it shares, and what it really adds is its private pages; the
CPU it spends shows up in the parent's ``RUSAGE_CHILDREN`` once it has ended (``twin.run_timing``
counts it). ``loadtests/benchmarks/bench_report_figures.py`` measures both; docs/report_figures.md.
"""

from __future__ import annotations

import base64
import gc
import io
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

WORKERS_ENV = "TWIN_REPORT_WORKERS"
"""Environment variable: how many processes draw a report's figures (``1``: sequential, in process)."""


def figure_to_data_uri(fig: Figure) -> str:
    """PNG of ``fig`` as a ``data:image/png;base64,...`` URI."""
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # What ``fig.tight_layout()`` leaves behind; savefig would lay the figure out again in a whole
        # draw pass before the real one, for the same pixels (tests/unit/reports/test_report_figures.py).
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass(frozen=True)
class FigureJob:
    """One figure of a report: its ``title`` and ``build(*args)``, which returns the Figure.

    ``build`` must be a module-level function (sent to the worker by reference) and ``args`` plain,
    picklable data (summary sections, small frames), never a Figure: the worker builds the figure too,
    which is a good part of its cost."""

    title: str
    build: Callable[..., Figure]
    args: tuple[Any, ...] = ()


def draw(job: FigureJob) -> str:
    """Build ``job``'s figure and return its PNG data URI (what a worker runs)."""
    return figure_to_data_uri(job.build(*job.args))


def fork_available() -> bool:
    """Whether this platform can start workers with ``fork`` (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def pool_size(figures: int, workers: int | None = None) -> int:
    """How many processes draw ``figures`` figures; 1 means sequential in this process (module docstring).

    Raises ``ValueError`` naming ``workers`` or the environment variable when it is not a whole number >= 1.
    """
    cores = os.cpu_count() or 1
    if workers is None:
        raw = os.environ.get(WORKERS_ENV, "").strip()
        if raw:
            try:
                workers = int(raw)
            except ValueError:
                raise ValueError(f"{WORKERS_ENV}: must be a whole number >= 1, got {raw!r}") from None
            if workers < 1:
                raise ValueError(f"{WORKERS_ENV}: must be a whole number >= 1, got {raw!r}")
        elif multiprocessing.parent_process() is not None:
            workers = 1  # already a pool's worker: its siblings use the other cores
        else:
            workers = cores
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: must be a whole number >= 1, got {workers!r}")
    if not fork_available() or threading.active_count() > 1:  # no fork beside another thread (docstring)
        return 1
    return max(1, min(workers, cores, figures))


def render(jobs: Sequence[FigureJob], workers: int | None = None) -> list[dict[str, str]]:
    """``[{"title", "src"}]`` for ``jobs``, in their order: each figure built and drawn by ``draw``, on
    ``pool_size(len(jobs), workers)`` forked workers, or in this process when that is 1.

    A figure function that raises raises here (the worker's exception, re-raised)."""
    size = pool_size(len(jobs), workers)
    if size == 1:
        return [{"title": job.title, "src": draw(job)} for job in jobs]
    # Objects alive now are moved out of the collector's reach before the workers fork, so a worker's
    # collections do not write to (and so copy) every inherited page of the parent's heap.
    # A caller's own freeze (the twin runner freezes the run's heap while it writes outputs) is kept.
    thaw = gc.unfreeze if not gc.get_freeze_count() else (lambda: None)
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(draw, job) for job in jobs]  # the first submit forks every worker
            thaw()  # here only: the workers stay frozen
            try:
                uris = [future.result() for future in futures]
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the figures not started yet are not drawn for nothing
                raise
    finally:
        thaw()
    return [{"title": job.title, "src": uri} for job, uri in zip(jobs, uris)]
