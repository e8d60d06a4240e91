"""``nst recipes``: the published recipes ``nst transfer --recipe NAME`` can start from."""

from __future__ import annotations

import argparse

from ..recipe import load_recipe, recipe_names
from .options import add_command, arg, show_default

SUMMARY = "list the published recipes (nst transfer --recipe NAME) with their sources"
DESCRIPTION = "List the recipes that ship with nst: name, what it is, its source and (with --options) its options."
ARGS = [arg("--options", action="store_true", help="show each recipe's options too")]


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "recipes", run, SUMMARY, DESCRIPTION, ARGS)


def run(args: argparse.Namespace) -> int:
    names = recipe_names()
    width = max(map(len, names))
    for name in names:
        r = load_recipe(name)
        print(f"{name:{width}}  {r.description}")
        print(f"{'':{width}}  source: {r.source}")
        if args.options:
            for key, value in r.options.items():
                print(f"{'':{width}}    {key} = {show_default(value)}")
    return 0
