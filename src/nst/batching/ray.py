"""Running a batch on Ray (``--ray [ADDRESS]``, ``pip install 'nst[ray]'``): a local Ray or a cluster.

Ray core actors (https://docs.ray.io/en/latest/ray-core/actors.html): one
:class:`BatchActor` per CPU of the cluster (per GPU when the items run on
CUDA: each actor then asks for one GPU), spread over the nodes; each loads the
network once (:class:`~nst.batching.worker.Processor`) and is sent one item at a
time, two queued per actor so it never waits for the driver. Actors that die
are restarted by Ray and their task retried (``max_restarts``,
``max_task_retries``); an item whose retries are spent is recorded failed with
Ray's reason. The driver writes every record to the manifest as it arrives.

Paths: the driver sends absolute paths, so inputs, style images, the model
and the output folder must be on storage that every node sees at the same
path (a shared folder); an input a node cannot see fails that item with a
reason naming the node.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..errors import NSTError
from ..extras import require
from .items import Item
from .manifest import record
from .worker import Job, Processor, where

# Items queued per actor: one running, one waiting.
QUEUED = 2
RETRIES = 2
SHARED_STORAGE = "Ray needs inputs and outputs on storage every node sees at the same path"


class BatchActor:
    """A Ray actor: one :class:`Processor` (network loaded once) on one node; ``run(item) -> record``."""

    def __init__(self, job: Job) -> None:
        import ray

        self.location = {**where(), "node": ray.get_runtime_context().get_node_id()}
        self.processor = Processor(job, self.location)

    def run(self, item: Item) -> dict:
        for path in (item.input, *item.styles):
            if not os.path.exists(path):
                return record(item, "failed", 0.0, f"{path}: not found on node {self.location['node']} "
                                                     f"({self.location['worker']}); {SHARED_STORAGE}", **self.location)
        return self.processor(item)


def _absolute(item: Item) -> Item:
    return Item(os.path.abspath(item.input), tuple(map(os.path.abspath, item.styles)), os.path.abspath(item.output))


def run_on_ray(job: Job, items: Sequence[Item], emit: Callable[[dict], None], address: str | None = None) -> None:
    """Run ``items`` on Ray, calling ``emit(record)`` for each result as it arrives.

    Args:
        address: a Ray cluster (``ray://host:10001``, ``host:6379``, ``auto``);
            None: the cluster at ``RAY_ADDRESS``, else an embedded local Ray
            with this machine's CPUs and GPUs (shut down at the end).

    Raises:
        NSTError: ``ray`` is not installed (the ``ray`` extra), the cluster
            cannot be reached, or the items need a GPU and the cluster has none.
    """
    ray = require("ray", "ray", "--ray")
    started = False
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise NSTError(f"--ray {address or os.environ.get('RAY_ADDRESS') or ''}: could not start or reach "
                           f"Ray ({str(e).splitlines()[0]})") from None
        started = True
    try:
        _run(ray, job, items, emit)
    finally:
        if started:
            ray.shutdown()


def check_reachable(address: str | None, timeout: float = 10.0) -> None:
    """Fail in ``timeout`` seconds, not Ray's minutes of retries, when a ``HOST:PORT`` cluster address does not answer.

    ``ray://``, ``auto``, ``local`` and no address are left to Ray.

    Raises:
        NSTError: nothing listens at ``HOST:PORT``.
    """
    import socket

    if not address or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise NSTError(f"--ray {address}: no Ray cluster answers there ({e.strerror or e})") from None


def _run(ray, job: Job, items: Sequence[Item], emit: Callable[[dict], None]) -> None:
    gpu = job.uses_cuda()
    resources = ray.cluster_resources()
    slots = int(resources.get("GPU" if gpu else "CPU", 0))
    if slots < 1:
        raise NSTError("--ray: the cluster has no GPU for items that run on CUDA" if gpu
                       else "--ray: the cluster has no CPU")
    job = replace(job, threads=job.threads or 1, model=os.path.abspath(job.model) if job.model else None)
    actor_class = ray.remote(BatchActor).options(
        num_cpus=1, num_gpus=1 if gpu else 0, max_restarts=RETRIES, max_task_retries=RETRIES,
        scheduling_strategy="SPREAD")
    actors = [actor_class.remote(job) for _ in range(max(1, min(slots, len(items))))]
    originals = {}
    queue = deque()
    for item in items:
        a = _absolute(item)
        originals[a.output] = item
        queue.append(a)
    running: dict = {}

    def submit(actor) -> None:
        item = queue.popleft()
        running[actor.run.remote(item)] = (actor, item)

    for _ in range(QUEUED):
        for actor in actors:
            if queue:
                submit(actor)
    try:
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                actor, item = running.pop(ref)
                original = originals[item.output]
                try:
                    r = ray.get(ref)
                except ray.exceptions.RayActorError as e:  # restarts and retries spent: this actor is gone
                    r = record(original, "failed", 0.0, f"Ray worker died: {str(e).splitlines()[0]}", **where())
                    actors = [a for a in actors if a is not actor]
                    actor = None
                except ray.exceptions.RayError as e:
                    r = record(original, "failed", 0.0, f"Ray: {str(e).splitlines()[0]}", **where())
                r.update(input=original.input, output=original.output,
                         style=original.styles[0] if len(original.styles) == 1 else list(original.styles))
                emit(r)
                if actor is not None and queue:
                    submit(actor)
            if queue and not actors:
                while queue:
                    emit(record(originals[queue.popleft().output], "failed", 0.0, "no Ray worker left", **where()))
    finally:
        for actor in actors:
            ray.kill(actor)
