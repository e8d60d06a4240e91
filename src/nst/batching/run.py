"""Running a batch: resume from the manifest, run what is left, record every result as it comes in.

Three ways to run the items, all through the same :class:`~nst.batching.worker.Processor`:

- in this process, in order, through one loaded network (the default);
- ``workers=N`` worker processes (``spawn``), each with its share of the CPU
  threads (``cpu_count // N`` for torch and onnxruntime) and its own network;
- on Ray (:mod:`nst.batching.ray`), local or a cluster.

The driver (this process) alone writes the manifest, one line per result as it
arrives. Ctrl-C or SIGTERM stops the batch: finished items keep their records,
the item being worked on leaves no output (outputs are written atomically) and
no record, so a rerun does it again and skips everything finished.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import OptionError
from .items import Item
from .manifest import MANIFEST_NAME, Manifest, record
from .worker import Job, Processor, where

Emit = Callable[[dict], None]


@dataclass
class BatchResult:
    """The records of a batch (one per item, in the items' order) and whether Ctrl-C stopped it.

    Items not reached before an interrupt have no record.
    """

    records: list[dict] = field(default_factory=list)
    interrupted: bool = False
    manifest: Path | None = None

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.records)

    def summary(self) -> str:
        """``done N, failed N, skipped N``."""
        return f"done {self.count('done')}, failed {self.count('failed')}, skipped {self.count('skipped')}"


def thread_share(workers: int) -> int:
    """CPU threads for each of ``workers`` processes: this machine's cores shared out, at least 1."""
    return max(1, (os.cpu_count() or 1) // workers)


def run_in_process(job: Job, items: Sequence[Item], emit: Emit) -> None:
    """Run ``items`` in order through one :class:`Processor` (the network loaded once)."""
    processor = Processor(job)
    for item in items:
        emit(processor(item))


_PROCESSOR: Processor | None = None
_STOPPING = False


def _exit_on_term(signum: int, frame: object) -> None:
    global _STOPPING
    _STOPPING = True  # items already queued to this process must not start
    raise SystemExit(128 + signum)  # unwinds: an output being written leaves no temporary file


def _init_worker(job: Job) -> None:
    global _PROCESSOR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver stops the workers; Ctrl-C reaches the whole group
    signal.signal(signal.SIGTERM, _exit_on_term)
    _PROCESSOR = Processor(job)


def _process(item: Item) -> dict:
    if _STOPPING:
        os._exit(143)  # between items: nothing to clean up
    return _PROCESSOR(item)


def run_in_workers(job: Job, items: Sequence[Item], emit: Emit, workers: int) -> None:
    """Run ``items`` on ``workers`` processes, each loading the network once; results in completion order.

    At most two items per worker are queued at a time, so an interrupt wastes
    little. A worker process that dies fails the items it held ("worker
    process died") and the pool is started again for the rest.
    """
    job = replace(job, threads=job.threads or thread_share(workers))
    pending = list(reversed(items))
    while pending:
        import multiprocessing

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(job,))
        running: dict = {}
        try:
            while pending or running:
                while pending and len(running) < 2 * workers:
                    item = pending.pop()
                    running[pool.submit(_process, item)] = item
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    item = running.pop(fut)
                    try:
                        emit(fut.result())
                    except BrokenProcessPool:
                        emit(record(item, "failed", 0.0, "worker process died", **where()))
            pool.shutdown()
        except BrokenProcessPool:
            for fut, item in running.items():
                emit(record(item, "failed", 0.0, "worker process died", **where()))
            pool.shutdown(wait=False, cancel_futures=True)
        except BaseException:
            _stop(pool)
            raise


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's processes now (Ctrl-C): queued items are dropped, running ones end without a record."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for attempt in range(3):  # SIGTERM (the worker unwinds), again if it was busy, then SIGKILL
        for p in processes:
            if p.is_alive():
                p.kill() if attempt == 2 else p.terminate()
        for p in processes:
            p.join(timeout=5)


def run_batch(
    job: Job,
    items: Sequence[Item],
    manifest: str | os.PathLike,
    *,
    overwrite: bool = False,
    workers: int = 1,
    ray: str | None = None,
    progress: bool = False,
    on_record: Emit | None = None,
) -> BatchResult:
    """Run a batch with a manifest: skip what is done, run the rest, record each result as it comes in.

    Args:
        job: what each item gets (:class:`Job`).
        items: planned items (:func:`nst.batching.items.plan`).
        manifest: the JSON-lines manifest (:mod:`nst.batching.manifest`); read to
            resume, rewritten compactly, then appended to.
        overwrite: run items whose output exists or that are recorded done.
        workers: worker processes on this machine (1: in this process).
        ray: None (no Ray), ``"local"`` (an embedded local Ray, or the cluster
            at ``RAY_ADDRESS``) or a cluster address (:func:`nst.batching.ray.run_on_ray`).
        progress: show a progress bar on stderr.
        on_record: called with each new record (after it is in the manifest).

    Returns:
        :class:`BatchResult`; ``interrupted`` after Ctrl-C / SIGTERM (the
        manifest then holds every finished item).

    Raises:
        OptionError: ``workers`` < 1; NSTError: the manifest cannot be read or
            written, Ray missing (``nst[ray]``) or unreachable.
    """
    if workers < 1:
        raise OptionError("workers", "must be >= 1")
    if ray is not None:
        from ..extras import require
        from .ray import check_reachable

        require("ray", "ray", "--ray")  # before the manifest is written
        check_reachable(os.environ.get("RAY_ADDRESS") if ray == "local" else ray)
    m = Manifest(manifest)
    todo, skipped = m.resume(items, overwrite)
    order = {item.output: i for i, item in enumerate(items)}
    result = BatchResult(list(skipped), manifest=m.path)
    bar = None
    if progress and len(items) > 1:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), initial=len(skipped), desc="batch", unit="img", dynamic_ncols=True)

    def emit(r: dict) -> None:
        m.write(r)
        result.records.append(r)
        if bar is not None:
            bar.update(1)
        if on_record is not None:
            on_record(r)

    # The manifest keeps an output's "done" record; a skipped line is written only where there was none.
    m.open(keep=[r for r in skipped if r["output"] not in m.previous])
    try:
        if not todo:
            pass
        elif ray is not None:
            from .ray import run_on_ray

            run_on_ray(job, todo, emit, None if ray == "local" else ray)
        elif workers > 1 and len(todo) > 1:
            run_in_workers(job, todo, emit, min(workers, len(todo)))
        else:
            run_in_process(job, todo, emit)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        m.close()
        if bar is not None:
            bar.close()
    result.records.sort(key=lambda r: order.get(r["output"], len(order)))
    return result


def default_manifest(out_dir: str | os.PathLike) -> Path:
    """Where a batch into ``out_dir`` keeps its manifest: ``out_dir/manifest.jsonl``."""
    return Path(out_dir) / MANIFEST_NAME
