"""The manifest of a batch: one JSON line per item, appended as results come in, read back to resume.

Each record (a JSON object on its own line)::

    {"input": "photos/sub/a.jpg", "style": "starry.jpg", "output": "out/sub/a.png",
     "status": "done", "seconds": 0.41, "worker": "host:1234", "node": "host", "time": "2026-...Z"}

``status`` is ``done``, ``failed`` (with ``reason``: the one-line error) or
``skipped`` (done before, or its output existed: not recomputed). ``style`` is
the style image (a list for a blend of several), or the model for ``nst apply``.
The last record of an output is its state. Lines are flushed one by one, so a
crash or Ctrl-C loses at most the line being written; a torn last line is
ignored when the manifest is read. At the start of a run the manifest is
rewritten (atomically) with one line per output, so reruns do not grow it.

Only the standard library is imported here.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from ..errors import NSTError
from .items import Item

MANIFEST_NAME = "manifest.jsonl"
STATUSES = ("done", "failed", "skipped")


def now() -> str:
    """The current UTC time as ISO 8601 with a ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def style_field(styles: tuple[str, ...]) -> str | list[str]:
    """The ``style`` of a record: the one path, or the list of a blend."""
    return styles[0] if len(styles) == 1 else list(styles)


def record(item: Item, status: str, seconds: float = 0.0, reason: str | None = None, **where: str) -> dict:
    """A manifest record for ``item`` (``where``: ``worker``, ``node``)."""
    r = {"input": item.input, "style": style_field(item.styles), "output": item.output, "status": status}
    if reason is not None:
        r["reason"] = reason
    r["seconds"] = round(seconds, 4)
    r.update(where)
    r["time"] = now()
    return r


def read_manifest(path: str | os.PathLike) -> dict[str, dict]:
    """The last record of each output in the manifest ``path`` (``{}`` when there is none).

    Lines that are not JSON objects with an ``output`` (a line torn by a crash) are skipped.

    Raises:
        NSTError: the manifest exists but cannot be read.
    """
    p = Path(path)
    latest: dict[str, dict] = {}
    try:
        f = p.open(encoding="utf-8")
    except FileNotFoundError:
        return latest
    except OSError as e:
        raise NSTError(f"{p}: could not read the manifest ({e.strerror})") from None
    with f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(r, dict) and isinstance(r.get("output"), str) and r.get("status") in STATUSES:
                latest[r["output"]] = r
    return latest


class Manifest:
    """An open manifest: :meth:`resume` decides what to run, :meth:`write` appends one record and flushes it.

    Args:
        path: the JSON-lines file (created with its folder's parent existing).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.previous = read_manifest(self.path)
        self._file = None

    def resume(self, items: Iterable[Item], overwrite: bool = False) -> tuple[list[Item], list[dict]]:
        """Split ``items`` into those to run and the records of those skipped.

        An item is skipped when its output file exists and either its last
        record is done/skipped or it has no record (an output written just
        before a crash, or by an earlier run without a manifest). ``overwrite``
        runs everything again. Failed items are always retried.
        """
        todo, skipped = [], []
        for item in items:
            last = self.previous.get(item.output)
            finished = last is None or last["status"] in ("done", "skipped")
            if not overwrite and finished and os.path.exists(item.output):
                where = {k: last[k] for k in ("worker", "node") if last and k in last}
                reason = "done before" if last is not None else "output exists (--overwrite replaces it)"
                skipped.append(record(item, "skipped", last.get("seconds", 0.0) if last else 0.0, reason, **where))
            else:
                todo.append(item)
        return todo, skipped

    def open(self, keep: Iterable[dict] = ()) -> None:
        """Rewrite the manifest atomically with the previous records (one per output) and ``keep``, then append."""
        records = dict(self.previous)
        for r in keep:
            records[r["output"]] = r
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".nst-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                for r in records.values():
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            os.replace(tmp, self.path)
        except OSError as e:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise NSTError(f"{self.path}: could not write the manifest ({e.strerror})") from None
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, r: dict) -> None:
        """Append record ``r`` as one line and flush it to the OS."""
        self._file.write(json.dumps(r, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
