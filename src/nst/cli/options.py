"""Command-line options generated from the options dataclasses, and built back.

:func:`add_options` adds a dataclass's fields (declared with
:func:`nst.config.option`) to an argparse parser: flag, type, choices, help
with the default stated once, groups, and the expert options under a heading
of their own. :func:`options_from_args` builds the dataclass back from the
defaults, a ``--from OUT.png`` record, a ``--config FILE.toml`` and the flags
given, in that order of precedence (flags win). :func:`flag_of` is the one
place where a field name becomes a flag, for error messages.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config import OUTPUT, base_type, build, closest, field_types, option_fields, read_config, spec
from ..errors import NSTError
from ..recipe import load_recipe

EXPERT = "expert options (tuning; the defaults were chosen by measurement)"
# Names in errors that are positional arguments or short flags on the command line.
SPELLINGS = {"styles": "STYLE", "content": "CONTENT", "output": "-o"}
# Flags that differ from --field-name, filled by add_options from the declarations.
_FLAGS: dict[str, str] = {}


def flag_of(name: str) -> str:
    """The command-line spelling of option ``name``: ``style_weights`` -> ``--style-weights``."""
    return SPELLINGS.get(name) or _FLAGS.get(name) or "--" + name.replace("_", "-")


def show_default(value: Any) -> str:
    """A default as a user reads it: ``512``, ``0.001``, ``relu4_2:1``, ``16 32 64``, ``on``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return " ".join(f"{k}:{v:g}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return " ".join(show_default(v) for v in value)
    return str(value)


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return f.default


def option_group(p: argparse.ArgumentParser, title: str):
    """The argument group ``title`` of ``p`` (created once; ``""`` is the parser itself).

    The expert group stays listed last in ``--help``, whatever is added after it.
    """
    groups = p.__dict__.setdefault("_nst_groups", {})
    if title not in groups:
        groups[title] = p.add_argument_group(title) if title else p
        if EXPERT in groups and title != EXPERT:  # argparse lists groups in creation order
            p._action_groups.remove(groups[EXPERT])
            p._action_groups.append(groups[EXPERT])
    return groups[title]


def add_options(
    p: argparse.ArgumentParser,
    cls: type,
    *,
    only: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Add the :func:`~nst.config.option` fields of dataclass ``cls`` to parser ``p``.

    Args:
        only / exclude: field names to include / leave out (default: all).
        defaults: defaults of this command that differ from the dataclass's
            (shown in ``--help`` and used by :func:`options_from_args`).

    Flags are ``--field-name`` (or the declared ``flag``); nothing is set on
    the namespace for a flag not given (``argparse.SUPPRESS``), so the
    defaults, a config file and a rerun record can be told apart from the
    flags the user typed.
    """
    defaults = dict(defaults or {})
    wanted = None if only is None else list(only)
    types = field_types(cls)
    names = []
    for f in option_fields(cls):
        if (wanted is not None and f.name not in wanted) or f.name in exclude:
            continue
        s = spec(f)
        kind, many = base_type(types[f.name])
        default = defaults.get(f.name, _default(f))
        flag = s["flag"] or "--" + f.name.replace("_", "-")
        _FLAGS[f.name] = flag
        if s["default_text"] is not None:
            shown = s["default_text"]
        elif default is None or (kind is bool and default is False):
            shown = None
        else:
            shown = show_default(default)
        text = s["help"] + (f" (default: {shown})" if shown is not None else "")
        kw: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": text.replace("%", "%%")}
        if kind is bool:
            kw["action"] = argparse.BooleanOptionalAction if default else "store_true"
        else:
            kw["type"] = kind if kind in (int, float) else str
            if s["choices"] is not None:
                kw["choices"] = s["choices"]
            if many or s["nargs"] is not None:
                kw["nargs"] = s["nargs"] or "+"
            if s["metavar"] is not None:
                kw["metavar"] = s["metavar"]
        option_group(p, EXPERT if s["expert"] else s["group"]).add_argument(flag, **kw)
        names.append(f.name)
    registry = dict(p.get_default("_nst_options") or {})
    registry[cls] = (names, defaults)
    p.set_defaults(_nst_options=registry)


def add_config_options(p: argparse.ArgumentParser, rerun: bool = False) -> None:
    """Add ``--config FILE.toml`` (and, with ``rerun``, ``--recipe NAME`` and ``--from OUT.png``) to ``p``."""
    g = option_group(p, "recipes, config files and reruns")
    if rerun:
        g.add_argument("--recipe", metavar="NAME", default=None,
                       help="start from the options of a published recipe (nst recipes lists them; "
                            "options given here or in --config win)")
    g.add_argument("--config", metavar="FILE.toml", default=None,
                   help="read options from a TOML file (keys are the option names, e.g. style_weight = 20; "
                        "flags given on the command line win)")
    if rerun:
        g.add_argument("--from", dest="rerun", metavar="OUT.png", default=None,
                       help="rerun with the inputs and options recorded in an output of nst (flags given win; "
                            "intermediate-image options are not carried over)")


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Add ``--plot``, ``--sheet`` and ``--quiet`` (pictures of a finished run; command line only) to ``p``."""
    g = option_group(p, OUTPUT)
    g.add_argument("--plot", default=None, metavar="OUT.png",
                   help="plot of the content, style, TV and total losses per iteration (log scale)")
    g.add_argument("--sheet", default=None, metavar="OUT.png",
                   help="labelled contact sheet of the inputs and the result (.png or .jpg)")
    g.add_argument("--metadata", choices=("full", "minimal", "none"), default="full",
                   help="what the output records of how it was made (nst info, --from): full = inputs, options, "
                        "command line and folder; minimal = options and file names only, no paths; none "
                        "(default: full)")
    g.add_argument("--no-metadata", dest="metadata", action="store_const", const="none",
                   help="record nothing in the output (= --metadata none)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def arg(*flags: str, **kw: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """An argument that is no option of a dataclass (inputs, ``-o``): argparse's ``add_argument`` arguments."""
    return flags, kw


OUTPUT_IMAGE = arg("-o", "--output", required=True, help="output image (.png or .jpg)")
# -o for the commands that derive a name when it is left out (see outputs.derived_output).
OPTIONAL_OUTPUT = [
    arg("-o", "--output", default=None,
        help="output image (.png or .jpg) (default: CONTENT_STYLE.png in the current folder, e.g. photo_starry.png)"),
    arg("--overwrite", action="store_true", help="let the default output name replace an existing file"),
]


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    run: Any,
    summary: str,
    description: str,
    args: Sequence[tuple[tuple[str, ...], dict[str, Any]]] = (),
    *,
    options: Sequence[type | tuple[type, dict[str, Any]]] = (),
    quiet: str | None = None,
    pictures: bool = False,
    config: bool = False,
    rerun: bool = False,
) -> argparse.ArgumentParser:
    """Add the command ``name`` to ``sub``: its arguments, then its options, generated from dataclasses.

    Args:
        run: ``run(args) -> exit status``.
        summary / description: for ``nst --help`` / ``nst NAME --help``.
        args: :func:`arg` tuples (inputs and outputs, in order).
        options: options dataclasses, or ``(cls, add_options keywords)``.
        quiet: help of ``-q/--quiet`` (None: no such flag).
        pictures: add ``--plot``, ``--sheet`` and ``-q`` (:func:`add_output_options`).
        config / rerun: add ``--config`` / ``--from`` (:func:`add_config_options`).
    """
    p = sub.add_parser(name, help=summary, description=description)
    for flags, kw in args:
        p.add_argument(*flags, **kw)
    for entry in options:
        cls, kw = entry if isinstance(entry, tuple) else (entry, {})
        add_options(p, cls, **kw)
    if pictures:
        add_output_options(p)
    elif quiet is not None:
        p.add_argument("-q", "--quiet", action="store_true", help=quiet)
    if config or rerun:
        add_config_options(p, rerun)
    p.set_defaults(func=run)
    return p


def given(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The options of ``cls`` that were given as flags (and only those)."""
    names, _ = (getattr(args, "_nst_options", None) or {}).get(cls, ([], {}))
    return {n: getattr(args, n) for n in names if hasattr(args, n)}


def split_values(values: Mapping[str, Any], classes: Sequence[type], source: str) -> list[dict[str, Any]]:
    """Split ``values`` by the dataclass each name belongs to (first match, in order).

    Raises:
        NSTError: a name of none of ``classes``, with the closest valid name.
    """
    out: list[dict[str, Any]] = [{} for _ in classes]
    fields_of = [{f.name for f in dataclasses.fields(c)} for c in classes]
    for key, v in values.items():
        for names, d in zip(fields_of, out):
            if key in names:
                d[key] = v
                break
        else:
            valid = set().union(*fields_of)
            raise NSTError(f"{source}: unknown option {key!r}{closest(key, valid)}")
    return out


def rebase(path: str, cwd: str | None) -> str:
    """A path recorded relative to ``cwd``, as seen from here (unchanged when it exists as given)."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not cwd:
        return path
    return str(Path(cwd) / p)


# Options whose values are input files: rerun records resolve them against the recorded folder.
PATH_OPTIONS = ("masks", "style_fine", "init", "weights")


def recorded_options(meta: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """The options of ``cls`` recorded in an output's metadata, for a rerun (``--from``).

    Options declared ``rerun=False`` (where intermediate images go) are left
    out; input paths are resolved against the recorded working folder.
    """
    carried = {f.name for f in option_fields(cls) if spec(f)["rerun"]}
    options = {k: v for k, v in dict(meta.get("options") or {}).items() if k in carried}
    cwd = meta.get("cwd")
    for name in PATH_OPTIONS:
        v = options.get(name)
        if isinstance(v, str) and (name != "init" or v not in ("content", "noise", "style")) and v != "torchvision":
            options[name] = rebase(v, cwd)
        elif isinstance(v, list):
            options[name] = [rebase(str(x), cwd) for x in v]
    return options


def option_values(
    args: argparse.Namespace,
    classes: Sequence[type],
    recorded: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The option values of each of ``classes`` from the command line, merged but not yet built.

    Precedence, lowest first: the command's own defaults (:func:`add_options`),
    a ``--recipe``, the ``recorded`` options of a rerun, the ``--config``
    file, the flags given (the dataclass's defaults fill in the rest when it
    is built).

    Raises:
        NSTError: a name in the config file or record that is no option of ``classes``;
        an unreadable config file.
    """
    layers: list[dict[str, Any]] = [{} for _ in classes]
    registry = getattr(args, "_nst_options", None) or {}
    for d, cls in zip(layers, classes):
        d.update(registry.get(cls, ([], {}))[1])
    if getattr(args, "recipe", None):
        recipe = load_recipe(args.recipe)
        for d, part in zip(layers, split_values(recipe.options, classes, f"recipe {recipe.name}")):
            d.update(part)
    if recorded:
        for d, part in zip(layers, split_values(recorded, classes, "recorded options")):
            d.update(part)
    config = getattr(args, "config", None)
    if config:
        values = read_config(config, section=getattr(args, "command", None))
        for d, part in zip(layers, split_values(values, classes, str(config))):
            d.update(part)
    for d, cls in zip(layers, classes):
        d.update(given(args, cls))
    return layers


def options_from_args(
    args: argparse.Namespace,
    classes: type | Sequence[type],
    recorded: Mapping[str, Any] | None = None,
) -> Any:
    """Build the options dataclass(es) from the command line (see :func:`option_values`).

    Returns:
        one instance for one class, else a list in the order of ``classes``.
    Raises:
        OptionError: a bad value; NSTError: an unknown key in the config file,
        an unreadable config file.
    """
    single = isinstance(classes, type)
    classes = [classes] if single else list(classes)
    built = [build(cls, d) for cls, d in zip(classes, option_values(args, classes, recorded))]
    return built[0] if single else built
