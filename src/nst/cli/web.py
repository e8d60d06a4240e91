"""``nst web``: the page of nst's three methods in the browser (needs the extra: pip install 'nst[web]')."""

from __future__ import annotations

import argparse

from ..web.options import WebOptions
from .options import add_command, options_from_args

SUMMARY = "serve a web page (and an HTTP API) for Optimize, Fast and Apply a model"
DESCRIPTION = (
    "Serve nst's methods in the browser with Gradio (needs the extra: pip install 'nst[web]'): upload a "
    "photo and a style image, watch the optimization live, download the result as a PNG with nst's "
    "metadata. Listens on 127.0.0.1 unless --host says otherwise; no share links, no analytics, no "
    "internet needed. API endpoints /fast, /transfer, /apply, /stop for gradio_client (see docs/web.md)."
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "web", run, SUMMARY, DESCRIPTION, options=[WebOptions])


def run(args: argparse.Namespace) -> int:
    opts = options_from_args(args, WebOptions)
    from ..extras import require

    require("gradio", "web")
    from ..web.app import serve
    from .outputs import note

    serve(opts, ready=lambda url: note(f"nst web: serving on {url} (Ctrl-C to stop)"))
    return 0
