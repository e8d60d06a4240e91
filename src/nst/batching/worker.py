"""What one worker does with one item: load the networks once, then stylize, save, and report a record.

A :class:`Job` says what every item of a batch gets done to it (the command,
its options, the model); it is plain data, sent to worker processes and Ray
actors. A :class:`Processor` is a job made ready in one process: the network
loaded once, each style's vector (``fast``) computed once, and
``processor(item) -> record`` stylizes one item and writes its output
atomically (:func:`nst.images.save_image`). An error of one item becomes a
``failed`` record with the one-line reason; it never escapes, but Ctrl-C does.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import NSTError, OptionError
from .items import Item
from .manifest import record

COMMANDS = ("fast", "apply", "transfer")


@dataclass
class Job:
    """What a batch does to each item.

    Attributes:
        command: ``fast`` (:func:`nst.fast_stylize`), ``apply`` (a trained model,
            :mod:`nst.feedforward.stylize`) or ``transfer`` (the optimization,
            :func:`nst.coarse_to_fine.run_coarse_to_fine`).
        options: the command's options (a ``FastOptions``, ``ApplyOptions`` or
            ``TransferOptions``; None: the defaults).
        model: the model file (``apply``).
        argv: the command line, recorded in each output's metadata.
        metadata: ``full``, ``minimal`` or ``none`` (what each output records).
        threads: CPU threads for this worker (0: the library's default, all cores).
    """

    command: str
    options: Any = None
    model: str | None = None
    argv: list[str] = field(default_factory=list)
    metadata: str = "full"
    threads: int = 0

    def __post_init__(self) -> None:
        if self.command not in COMMANDS:
            raise OptionError("command", f"{self.command!r}: one of {', '.join(COMMANDS)}")

    def uses_cuda(self) -> bool:
        """Whether the items run on a CUDA device (a Ray task then asks for a GPU)."""
        device = str(getattr(self.options, "device", None) or "")
        if device.startswith("cuda"):
            return True
        if self.command == "transfer" and not device:  # the default device is CUDA where there is one
            import torch

            return torch.cuda.is_available()
        return False


def where() -> dict[str, str]:
    """``worker`` (``host:pid``) and ``node`` (the host) of this process, for the manifest."""
    host = socket.gethostname()
    return {"worker": f"{host}:{os.getpid()}", "node": host}


def reason_of(e: BaseException) -> str:
    """One line saying why an item failed."""
    if isinstance(e, OptionError):
        return f"{e.field}: {e.problem}" if getattr(e, "field", None) else str(e)
    if isinstance(e, NSTError):
        return str(e)
    if isinstance(e, MemoryError):
        return "not enough memory"
    if isinstance(e, OSError):
        from ..images import os_error_reason

        return f"{e.filename or 'file'}: {os_error_reason(e)}"
    return f"{type(e).__name__}: {e}".splitlines()[0]


class Processor:
    """A :class:`Job` ready in this process: ``processor(item) -> manifest record``.

    Networks load at the first item (so a worker that gets no item loads
    nothing) and are kept for every later one; style images are decoded once.

    Args:
        job: the job.
        location: ``worker``/``node`` fields for the records (default: :func:`where`).
    """

    def __init__(self, job: Job, location: dict[str, str] | None = None) -> None:
        self.job = job
        self.location = location or where()
        self._net = None
        self._stylizers: dict[tuple[str, ...], Any] = {}
        self._opts = None
        if job.threads:
            import torch

            torch.set_num_threads(job.threads)

    def __call__(self, item: Item) -> dict:
        try:
            self._load()  # once; not counted in the item's seconds
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: BLE001 - a model that cannot load fails the item, with its reason
            return record(item, "failed", 0.0, reason_of(e), **self.location)
        t0 = time.perf_counter()
        try:
            image, result = self._stylize(item)
            self._save(item, image, result)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: BLE001 - one bad item never stops the batch
            return record(item, "failed", time.perf_counter() - t0, reason_of(e), **self.location)
        return record(item, "done", time.perf_counter() - t0, **self.location)

    def _options(self):
        if self._opts is None:
            if self.job.command == "fast":
                from ..arbitrary import FastOptions as cls
            elif self.job.command == "apply":
                from ..feedforward.stylize import ApplyOptions as cls
            else:
                from ..options import TransferOptions as cls
            self._opts = cls() if self.job.options is None else self.job.options
        return self._opts

    def _load(self) -> None:
        """Load the network of a ``fast`` or ``apply`` job (``transfer`` loads VGG in its own cached way)."""
        if self._net is not None or self.job.command == "transfer":
            return
        opts = self._options()
        if self.job.command == "fast":
            from ..arbitrary.network import MagentaStylizer, load_network

            self._net = (MagentaStylizer(self.job.threads, device=opts.device) if self.job.threads
                         else load_network(opts.model, opts.device))
        else:
            from ..feedforward.stylize import load_runner

            self._net = load_runner(self.job.model, threads=opts.threads or self.job.threads)

    def _stylize(self, item: Item):
        from ..images import load_image

        opts = self._options()
        if self.job.command == "fast":
            from ..arbitrary.stylize import FastStylizer

            if item.styles not in self._stylizers:  # decodes the style images; presets stay names
                self._stylizers[item.styles] = FastStylizer(list(item.styles), opts, self._net)
            image = self._stylizers[item.styles](load_image(item.input))
            return image, {"width": image.width, "height": image.height}
        if self.job.command == "apply":
            from ..feedforward.stylize import stylize_image

            runner, factor = self._net
            image = stylize_image(runner, factor, load_image(item.input), opts.size)
            return image, {"width": image.width, "height": image.height}
        from ..coarse_to_fine import run_coarse_to_fine

        content = load_image(item.input)
        styles = [load_image(s) for s in item.styles]
        result = run_coarse_to_fine(content, styles, opts, progress=False)
        if result.interrupted:  # Ctrl-C inside the optimization: the item is not done
            raise KeyboardInterrupt
        h, w = result.image.shape[-2:]
        return result.image, {"iterations": result.iterations, "loss": result.best_loss, "width": w, "height": h,
                              "interrupted": False}

    def _save(self, item: Item, image, result: dict) -> None:
        from dataclasses import asdict

        from ..cli.outputs import save_with_metadata
        from ..metadata import build_metadata

        opts = self._options()
        options = opts.to_dict() if hasattr(opts, "to_dict") else asdict(opts)
        if self.job.command == "apply":
            inputs = {"model": self.job.model, "input": item.input}
        else:
            inputs = {"content": item.input, "styles": list(item.styles)}
        meta = None if self.job.metadata == "none" else build_metadata(
            self.job.command, self.job.argv, inputs, options, result, level=self.job.metadata)
        os.makedirs(os.path.dirname(item.output) or ".", exist_ok=True)
        save_with_metadata(image, item.output, meta)
