"""Where the per-export checks run: local worker processes, or a Dask cluster.

`tally.verify.Verifier(runner=…)` and `TallyStation.import_files(runner=…)` hand every booth
export to `runner.map(run_export_job, jobs, shared, extra)` and get one `ExportOutcome` per job
back, in job order; they merge the outcomes in the serial order, so the output does not depend
on the runner, the number of workers or the order in which workers finish.

- `runner_for(workers, dask)`: the runner for the command-line options; None (this process,
  one export after another) for `--workers 1` without `--dask`.
- `ProcessRunner(n)`: n local processes (forkserver), each verifying the package once.
- `DaskRunner(address)`: an existing `dask.distributed` scheduler; the package goes to every
  worker once (scatter, broadcast), each export's bytes with its task. The workers must run
  the same refvote (same code, same protocol version): nothing is taken from them but the
  outcome, and the worker re-verifies the package pinned to the main process's authority.

A worker trusts nothing the main process did not check: it verifies the package's files
again (pinned to the authority fingerprint, its package.json the one index.json lists), and
checks each export's bytes against the fingerprint index.json gives them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from tally.verify import ExportJob, ExportOutcome, Runner, SharedPackage

Task = Callable[[ExportJob, SharedPackage, Any], ExportOutcome]


class RunnerUnavailable(Exception):
    """The workers asked for cannot be used (a bad --workers, an unreachable scheduler)."""


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# Per worker process: the package and the extra work, given once when the process starts.
_WORKER: dict[str, Any] = {}


def _start_worker(task: Task, shared: SharedPackage, extra: Any) -> None:
    _WORKER.update(task=task, shared=shared, extra=extra)


def _run(job: ExportJob) -> ExportOutcome:
    outcome: ExportOutcome = _WORKER["task"](job, _WORKER["shared"], _WORKER["extra"])
    return outcome


class ProcessRunner:
    """`workers` local processes; exports handed out a few at a time, outcomes in job order."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise RunnerUnavailable("--workers must be at least 1")
        self.workers = workers

    def map(
        self, fn: Task, jobs: Sequence[ExportJob], shared: SharedPackage, extra: Any
    ) -> Iterable[ExportOutcome]:
        if not jobs:
            return []
        chunk = max(1, len(jobs) // (self.workers * 8))
        with ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start_worker,
            initargs=(fn, shared, extra),
        ) as pool:
            return list(pool.map(_run, jobs, chunksize=chunk))


class DaskRunner:
    """The workers of an existing `dask.distributed` scheduler at `address` (or a Client)."""

    def __init__(self, address: str | Any, timeout: str = "20s") -> None:
        from distributed import Client

        self._own = isinstance(address, str)
        if isinstance(address, str):
            try:
                self.client = Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise RunnerUnavailable(
                    f"--dask {address}: no Dask scheduler answers there ({exc}); start one "
                    "(`dask scheduler`, then `dask worker ADDRESS` on each machine) or give "
                    "its address"
                ) from None
        else:
            self.client = address

    def map(
        self, fn: Task, jobs: Sequence[ExportJob], shared: SharedPackage, extra: Any
    ) -> Iterable[ExportOutcome]:
        if not jobs:
            return []
        if not self.client.scheduler_info().get("workers"):
            raise RunnerUnavailable("the Dask scheduler has no worker: start `dask worker`")
        package = self.client.scatter(shared, broadcast=True, hash=False)
        futures = self.client.map(fn, jobs, shared=package, extra=extra, pure=False)
        try:
            outcomes: list[ExportOutcome] = self.client.gather(futures)
        finally:
            self.client.cancel([*futures, package])
        return outcomes

    def close(self) -> None:
        if self._own:
            self.client.close()


def runner_for(workers: int | None, dask: str | None) -> Runner | None:
    """The runner for `--workers N` / `--dask ADDRESS` (None: in this process)."""
    if dask:
        return DaskRunner(dask)
    n = default_workers() if workers is None else workers
    if n < 1:
        raise RunnerUnavailable("--workers must be at least 1")
    return None if n == 1 else ProcessRunner(n)


def close_runner(runner: Runner | None) -> None:
    if isinstance(runner, DaskRunner):
        runner.close()


__all__ = [
    "DaskRunner",
    "ProcessRunner",
    "RunnerUnavailable",
    "close_runner",
    "default_workers",
    "runner_for",
]
