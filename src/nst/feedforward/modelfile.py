"""Model and checkpoint files for feed-forward networks: safetensors, no pickles.

A model file is a safetensors file (https://github.com/huggingface/safetensors)
holding the network's float32 tensors under their ``state_dict`` names; its
header metadata has one key, ``nst``, whose value is a small JSON object::

    {"format": "nst-feedforward", "version": 1,
     "config": {"channels": [16, 32, 64], "residual_blocks": 5, ...},
     "style": "vangogh_starry_night", "steps": 2000, "training": {...},
     "evaluation": {"step": 2000, "style": 0.08, "content": 1.3, "score": 2.1, "photo": "photos/a.jpg"},
     "recoveries": [{"step": 1207, "loss": "nan", "restored": 1200, "lr": 0.0005}]}

``evaluation`` (empty when there was none) is the held-out score of the
saved state and ``recoveries`` the loss blow-ups training recovered from
(:func:`nst.feedforward.train.train`); files without them read as empty.

A training checkpoint (for ``nst train --resume``) is a second safetensors
file with the network under ``model.*``, the Adam state flattened into
``optim.<param index>.<name>`` tensors, and the step count, optimizer
hyper-parameters and training options in the same kind of JSON header.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from ..catalogue import is_style_name, resolve_model
from ..errors import NSTError
from ..images import atomic_write
from .network import NetConfig, TransformerNet

FORMAT = "nst-feedforward"
CHECKPOINT_FORMAT = "nst-feedforward-checkpoint"
VERSION = 1


@dataclass
class ModelInfo:
    """What a model file says about its network besides the tensors.

    ``config``: the architecture; ``style``: name of the style image (its file
    stem); ``steps``: optimizer steps trained; ``training``: the training
    options (JSON-able dict); ``evaluation``: the held-out score of these
    weights (``step``, unweighted ``style`` and ``content``, ``score``,
    ``photo``; empty when not evaluated); ``recoveries``: the loss blow-ups
    training recovered from (``step``, ``loss``, ``restored`` step, new
    ``lr``); ``version``: file format version.
    """

    config: NetConfig
    style: str = ""
    steps: int = 0
    training: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION
    evaluation: dict[str, Any] = field(default_factory=dict)
    recoveries: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, fmt: str = FORMAT) -> str:
        return json.dumps({"format": fmt, "version": self.version, "config": self.config.to_dict(),
                           "style": self.style, "steps": self.steps, "training": self.training,
                           "evaluation": self.evaluation, "recoveries": self.recoveries})


def _write(path: str | os.PathLike, tensors: dict[str, torch.Tensor], header: str) -> None:
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    data = save(tensors, metadata={"nst": header})  # bytes: write errors then come from the OS, as OSError
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def _read(path: str | os.PathLike, expected: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read tensors and the ``nst`` JSON header; NSTError for anything unexpected."""
    p = Path(path)
    if not p.is_file():
        named = " (nor a shipped model: see nst styles)" if is_style_name(str(path)) else ""
        raise NSTError(f"{p}: no such file{named}" if not p.exists() else f"{p}: is not a file")
    try:
        with safe_open(str(p), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise NSTError(f"{p}: not a readable safetensors file ({why})") from None
    try:
        header = json.loads(meta["nst"])
    except (KeyError, json.JSONDecodeError):
        raise NSTError(f"{p}: safetensors file without nst metadata; not a model written by nst train") from None
    if not isinstance(header, dict) or header.get("format") != expected:
        found = header.get("format") if isinstance(header, dict) else None
        raise NSTError(f"{p}: not an {expected} file (format {found!r})")
    if header.get("version") != VERSION:
        raise NSTError(f"{p}: file format version {header.get('version')!r}; this nst reads version {VERSION}")
    return tensors, header


def _info(header: dict[str, Any], path: Path | None = None) -> ModelInfo:
    """The :class:`ModelInfo` of a file's header, every field type-checked before anything is built.

    Raises:
        NSTError: a field of the wrong type (naming the file), or a config out of bounds.
    """
    steps, training = header.get("steps", 0), header.get("training") or {}
    evaluation, recoveries = header.get("evaluation") or {}, header.get("recoveries") or []
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0 or not isinstance(training, dict):
        raise NSTError(f"{path or 'model file'}: bad header (steps {steps!r}, training {type(training).__name__})")
    if not isinstance(evaluation, dict) or not isinstance(recoveries, list) \
            or not all(isinstance(r, dict) for r in recoveries):
        raise NSTError(f"{path or 'model file'}: bad header (evaluation {type(evaluation).__name__}, "
                       f"recoveries {type(recoveries).__name__})")
    try:
        config = NetConfig.from_dict(header.get("config"))
    except NSTError as e:
        raise NSTError(f"{path or 'model file'}: {e}") from None
    return ModelInfo(config, str(header.get("style", "")), steps, dict(training), int(header["version"]),
                     dict(evaluation), list(recoveries))


def _build(state: dict[str, torch.Tensor], config: NetConfig, path: Path) -> TransformerNet:
    """A TransformerNet of ``config`` with ``state``; NSTError when names or shapes differ."""
    net = TransformerNet(config)
    expected = net.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise NSTError(f"{path}: tensors do not match the architecture in its metadata ({what})")
    for k, v in expected.items():
        if v.shape != state[k].shape:
            raise NSTError(f"{path}: tensor {k} has shape {tuple(state[k].shape)}, "
                           f"architecture expects {tuple(v.shape)}")
    net.load_state_dict(state)
    return net


def save_model(path: str | os.PathLike, net: TransformerNet, info: ModelInfo) -> None:
    """Write ``net``'s tensors and ``info`` to a safetensors model file, atomically."""
    _write(path, net.state_dict(), info.to_json())


def load_model(path: str | os.PathLike) -> tuple[TransformerNet, ModelInfo]:
    """Read a model file written by :func:`save_model`; the network is in eval mode on the CPU.

    ``path`` may also name a shipped model (``"starry-night"``, :func:`nst.catalogue.models`).

    Raises:
        NSTError: missing file, not safetensors, no or wrong nst metadata, or
            tensors that do not fit the architecture recorded in the metadata.
    """
    path = resolve_model(path)
    tensors, header = _read(path, FORMAT)
    info = _info(header, Path(path))
    return _build(tensors, info.config, Path(path)).eval(), info


def read_model_info(path: str | os.PathLike) -> tuple[ModelInfo, dict[str, Any]]:
    """The :class:`ModelInfo` and the raw JSON header of a model file (or shipped model's name), without the network.

    Raises:
        NSTError: as :func:`load_model` for the file and its header.
    """
    path = resolve_model(path)
    _, header = _read(path, FORMAT)
    return _info(header, Path(path)), header


def describe_model(info: ModelInfo) -> str:
    """Readable multi-line account of a model file's training record (for ``nst info MODEL``)."""
    c = info.config
    lines = [f"style:      {info.style or '(not recorded)'}",
             f"trained:    {info.steps} steps",
             f"network:    channels {list(c.channels)}, {c.residual_blocks} residual blocks, {c.upsample} upsampling"
             + (", a noise input" if c.noise else "")]
    e = info.evaluation
    if e:
        scores = ", ".join(f"{k} {e[k]:.4g}" for k in ("style", "content", "score") if isinstance(e.get(k), float))
        lines.append(f"held out:   step {e.get('step', '?')}, {scores} (photo {e.get('photo', '?')})")
    else:
        lines.append("held out:   not evaluated")
    if info.recoveries:
        lines.append(f"recovered:  {len(info.recoveries)} loss blow-up(s): "
                     + "; ".join(f"step {r.get('step', '?')} loss {r.get('loss', '?')} -> restored step "
                                 f"{r.get('restored', '?')}, lr {r.get('lr', '?')}" for r in info.recoveries))
    lines.append("training:")
    lines += [f"  {k} = {json.dumps(v)}" for k, v in info.training.items()]
    return "\n".join(lines)


def save_checkpoint(path: str | os.PathLike, net: TransformerNet, optimizer: torch.optim.Optimizer,
                    info: ModelInfo, average: torch.nn.Module | None = None) -> None:
    """Write network, optimizer state and ``info`` (with ``steps``) to a checkpoint file, atomically.

    The optimizer's per-parameter state tensors are stored as
    ``optim.<index>.<name>``; its ``param_groups`` (learning rate, betas, ...)
    go into the JSON header. ``average``: the moving average of the weights
    (a ``torch.optim.swa_utils.AveragedModel``), stored as ``average.<name>``
    and read back as :func:`load_checkpoint`'s ``average``.
    """
    tensors = {f"model.{k}": v for k, v in net.state_dict().items()}
    if average is not None:
        tensors.update({f"average.{k}": v for k, v in average.state_dict().items()})
    sd = optimizer.state_dict()
    for idx, state in sd["state"].items():
        for name, value in state.items():
            t = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            tensors[f"optim.{idx}.{name}"] = t
    header = json.loads(info.to_json(CHECKPOINT_FORMAT))
    header["param_groups"] = sd["param_groups"]
    _write(path, tensors, json.dumps(header))


class Checkpoint(NamedTuple):
    """A checkpoint file's contents (:func:`load_checkpoint`)."""

    net: TransformerNet  # the latest weights, in train mode
    optimizer_state: dict[str, Any]  # an Adam state_dict
    info: ModelInfo
    average: dict[str, torch.Tensor] | None  # the weight average's state dict (``AveragedModel``), None without one


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint, network, optimizer state, info and weight average in one read of the file.

    Raises:
        NSTError: as :func:`load_model`, for checkpoint files.
    """
    p = Path(path)
    tensors, header = _read(p, CHECKPOINT_FORMAT)
    info = _info(header, p)
    model = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    net = _build(model, info.config, p).train()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    groups = header.get("param_groups")
    if not isinstance(groups, list):
        raise NSTError(f"{p}: checkpoint has no optimizer parameter groups")
    average = {k[len("average."):]: v for k, v in tensors.items() if k.startswith("average.")}
    return Checkpoint(net, {"state": state, "param_groups": groups}, info, average or None)
