"""The page of ``nst web`` (Gradio Blocks): Optimize, Fast and Apply a model, with a queue and an API.

Controls come from the options dataclasses (:mod:`.controls`), the work from
:mod:`.jobs`. Every handler turns the library's errors (bad uploads, bad
options) into a message on the page (``gr.Error``), never a traceback; an
unexpected error is logged on the server and reported in one line, and the
server goes on serving. Named API endpoints: ``/fast``, ``/transfer``
(streams its progress), ``/apply``, ``/stop`` (ends the caller's Optimize run,
keeping the best image so far); see docs/web.md.

Gradio's analytics are off (``GRADIO_ANALYTICS_ENABLED=False`` and
``analytics_enabled=False``), no share link is made, server-side rendering
(node) and the MCP server are off, and the theme uses the system's fonts so
the page needs no internet.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported

from ..arbitrary.stylize import FastOptions  # noqa: E402
from ..config import option_fields  # noqa: E402
from ..errors import NSTError, OptionError  # noqa: E402
from ..feedforward.stylize import ApplyOptions  # noqa: E402
from ..options import TransferOptions  # noqa: E402
from . import jobs  # noqa: E402
from .controls import build_options, common_and_expert, gr, label_of, make_controls  # noqa: E402
from .options import WebOptions  # noqa: E402

# Options of the CLI that name files or folders on the server, or its devices: not offered on the page.
TRANSFER_HIDDEN = ("style_weights", "init", "weights", "device", "max_memory", "save_every", "save_dir",
                   "save_pattern", "gif", "masks", "style_fine")
TRANSFER_COMMON = ("size", "style_weight", "style_scale", "iterations", "preserve_color", "style_loss")
FAST_HIDDEN = ("style_weights", "model", "device")
APPLY_SHOWN = ("size",)
# The page's default size for Optimize (the CLI's 512 px takes minutes on a CPU).
WEB_TRANSFER_SIZE = 256

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
MONO_FONTS = ["ui-monospace", "monospace"]


def image_upload(**kw: Any) -> gr.Image:
    """An image upload handed to the handler as the uploaded file's path, undecoded.

    Gradio's own ``Image.preprocess`` opens the upload with Pillow before the
    handler runs, so a file that is no image fails inside Gradio with a bare
    "Error"; this one's preprocessing only passes the path on, and
    :func:`nst.web.jobs.check_upload` checks and decodes the file and says what
    is wrong. (An instance attribute, not a subclass: Gradio writes a ``.pyi``
    file beside the module of every Component subclass.)
    """
    component = gr.Image(type="filepath", image_mode=None, sources=["upload"], **kw)
    gradio_preprocess = component.preprocess

    def preprocess(payload: Any) -> str | None:
        if payload is None:
            return None
        if payload.path is None:  # a data: URL from an API call
            return gradio_preprocess(payload)
        return str(payload.path)

    component.preprocess = preprocess  # type: ignore[method-assign]
    return component


def message(e: BaseException) -> str:
    """The one line the page shows for error ``e``."""
    if isinstance(e, OptionError):
        return f"{label_of(e.field)}: {e.problem}"
    if isinstance(e, NSTError):
        return str(e)
    if isinstance(e, MemoryError):
        return "not enough memory: use a smaller size"
    return f"internal error ({type(e).__name__}); the server's log has the details"


def page_error(e: BaseException) -> Exception:
    """``gr.Error`` for ``e``; unexpected errors are logged with their traceback first."""
    if not isinstance(e, (NSTError, MemoryError)):
        traceback.print_exception(e, file=sys.stderr)
    return gr.Error(message(e), print_exception=False)


class Stops:
    """One stop flag per browser session (``gr.Request.session_hash``): Stop ends only the caller's run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flags: dict[str, threading.Event] = {}

    def start(self, session: str) -> threading.Event:
        with self.lock:
            flag = self.flags[session] = threading.Event()
            return flag

    def stop(self, session: str) -> bool:
        with self.lock:
            flag = self.flags.get(session)
        if flag is not None:
            flag.set()
        return flag is not None

    def end(self, session: str, flag: threading.Event) -> None:
        with self.lock:
            if self.flags.get(session) is flag:
                del self.flags[session]


def api_parameters(fn: Callable, names: list[str], request: bool = False) -> Callable:
    """Give ``fn(*values)`` the signature ``fn(NAME=None, ...)`` so the API names its parameters after the
    options (``strength``, not ``param_2``) and leaves them optional; ``request`` puts a ``gr.Request``
    parameter first, where Gradio passes it."""
    P = inspect.Parameter
    params = [P("request", P.POSITIONAL_OR_KEYWORD, annotation=gr.Request)] if request else []
    params += [P(n, P.POSITIONAL_OR_KEYWORD, default=None) for n in names]
    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return fn


def style_choices(presets: bool) -> list[tuple[str, str]]:
    """``(label, name)`` of the built-in styles: the catalogue's paintings, then (``presets``) nst fast's presets."""
    from ..catalogue import paintings, preset_names

    choices = [(f"{name}: {p.label()}", name) for name, p in paintings().items()]
    return choices + ([(name, name) for name in preset_names()] if presets else [])


def sample_photos() -> list[str]:
    """Photos a visitor can try without uploading: scikit-image's bundled ones (the ``demo`` extra), if installed."""
    try:
        from ..cli.demo import bundled_image

        return [str(bundled_image(name)) for name in ("astronaut.png", "coffee.png", "chelsea.png")]
    except NSTError:
        return []


def style_gallery(dropdown: gr.Dropdown, elem_id: str) -> gr.Gallery:
    """Thumbnails of the catalogue's paintings; clicking one selects it in ``dropdown``."""
    from ..catalogue import paintings

    names = list(paintings())
    gallery = gr.Gallery(value=[(str(p.path), name) for name, p in paintings().items()], columns=7, height=130,
                         allow_preview=False, show_label=False, elem_id=elem_id)

    def pick(evt: gr.SelectData) -> Any:
        return gr.update(value=names[evt.index])

    gallery.select(pick, None, [dropdown], api_name=False, concurrency_limit=None, show_progress="hidden")
    return gallery


def image_inputs(prefix: str, samples: list[str], presets: bool) -> tuple[gr.Image, gr.Image, gr.Dropdown]:
    """The inputs of a tab: content and style uploads, the built-in style by name (dropdown and
    thumbnails; with nst fast's ``presets``), and the sample photos; elements named ``PREFIX-...``."""
    with gr.Row():
        content = image_upload(label="content image", elem_id=f"{prefix}-content")
        style = image_upload(label="style image", elem_id=f"{prefix}-style")
    what = "a painting of the catalogue, or a preset of the multi-style network" if presets else \
        "a painting of the catalogue"
    style_name = gr.Dropdown(choices=[("", "")] + style_choices(presets), value="", label="or a built-in style",
                             info=f"{what} (nst styles); used when no style image is uploaded",
                             elem_id=f"{prefix}-style-name")
    style_gallery(style_name, f"{prefix}-style-gallery")
    if samples:
        gr.Examples([[p] for p in samples], [content], label="or a sample photo")
    return content, style, style_name


def result_outputs(prefix: str) -> tuple:
    """The result image, its download, the status line and the command line of a tab."""
    with gr.Row():
        image = gr.Image(label="result", type="filepath", format="png", interactive=False,
                         elem_id=f"{prefix}-result")
    with gr.Row():
        file = gr.File(label="download (PNG with nst's metadata: nst info FILE)", interactive=False,
                       elem_id=f"{prefix}-file")
    status = gr.Textbox(label="status", interactive=False, elem_id=f"{prefix}-status")
    command = gr.Textbox(label="the same run on the command line", interactive=False, elem_id=f"{prefix}-command")
    return image, file, status, command


def build_app(web: WebOptions, workspace: jobs.Workspace | None = None) -> gr.Blocks:
    """The page: tabs Optimize (``nst transfer``), Fast (``nst fast``) and Apply a model (``nst apply``)."""
    workspace = workspace or jobs.Workspace(share_folder=web.share_folder)
    stops = Stops()
    samples = sample_photos()
    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    # delete_cache: Gradio's copies of uploads and results older than an hour are deleted every hour.
    with gr.Blocks(title="nst: neural style transfer", analytics_enabled=False,
                   delete_cache=(jobs.KEEP_RESULTS_S, jobs.KEEP_RESULTS_S)) as demo:
        demo.nst_launch = {"theme": theme}  # launch() options of Gradio 6 (theme moved there)
        gr.Markdown("# nst: neural style transfer\nRepaint a photo in the look of a painting. "
                    "Each result downloads as a PNG that records how it was made (`nst info FILE`).")
        with gr.Tabs():
            with gr.Tab("Fast", id="fast"):
                gr.Markdown("Any style image, one forward pass of a pretrained network (Ghiasi et al. 2017): "
                            "about a second.")
                with gr.Row():
                    with gr.Column():
                        f_content, f_style, f_style_name = image_inputs("fast", samples, presets=True)
                        f_names = [f.name for f in option_fields(FastOptions) if f.name not in FAST_HIDDEN]
                        f_controls = make_controls(FastOptions, f_names, {"strength": {"step": 0.05}})
                        f_run = gr.Button("Stylize", variant="primary", elem_id="fast-run")
                    with gr.Column():
                        f_out = result_outputs("fast")

            with gr.Tab("Optimize", id="transfer"):
                gr.Markdown("Gatys et al.'s optimization: slow (minutes at 512 px on a CPU), the most faithful. "
                            "The image updates as it optimizes; Stop keeps the best image so far.")
                with gr.Row():
                    with gr.Column():
                        t_content, t_style, t_style_name = image_inputs("transfer", samples, presets=False)
                        common, expert = common_and_expert(TransferOptions, TRANSFER_HIDDEN)
                        rest = [n for n in common if n not in TRANSFER_COMMON] + expert
                        overrides = {"size": {"value": WEB_TRANSFER_SIZE}}
                        t_controls = make_controls(TransferOptions, TRANSFER_COMMON, overrides)
                        with gr.Accordion("more options (the defaults were chosen by measurement)", open=False,
                                          elem_id="transfer-more"):
                            t_controls.update(make_controls(TransferOptions, rest))
                        with gr.Row():
                            t_run = gr.Button("Optimize", variant="primary", elem_id="transfer-run")
                            t_stop = gr.Button("Stop", variant="stop", elem_id="transfer-stop")
                    with gr.Column():
                        t_out = result_outputs("transfer")

            with gr.Tab("Apply a model", id="apply"):
                gr.Markdown("A network trained for one style with `nst train`: one pass, any size. "
                            "The models that ship with nst, "
                            + (f"then those of the folder `{Path(web.models).name}`." if web.models
                               else "and no folder of your own (`nst web --models DIR`)."))
                with gr.Row():
                    # Any name is passed on (a model added after start works through the API too);
                    # jobs.model_path accepts only shipped models' names and the names of model files in the folder.
                    a_model = gr.Dropdown(choices=jobs.list_models(web.models), label="model",
                                          allow_custom_value=True, elem_id="apply-model")
                    a_refresh = gr.Button("refresh the list", size="sm")
                with gr.Row():
                    with gr.Column():
                        a_content = image_upload(label="content image", elem_id="apply-content")
                        a_controls = make_controls(ApplyOptions, APPLY_SHOWN)
                        a_run = gr.Button("Stylize", variant="primary", elem_id="apply-run")
                    with gr.Column():
                        a_out = result_outputs("apply")

        def fast(content: str | None, style: str | None, style_name: str | None, *values: Any) -> tuple:
            try:
                opts = build_options(FastOptions, f_names, values)
                r = jobs.run_fast(content, style, opts, web, workspace, style_name=style_name)
            except Exception as e:
                raise page_error(e) from None
            return str(r.path), str(r.path), r.status, r.command

        def transfer(request: gr.Request, content: str | None, style: str | None, style_name: str | None,
                     *values: Any) -> Iterator[tuple]:
            session = request.session_hash or ""
            flag = stops.start(session)
            try:
                opts = build_options(TransferOptions, list(t_controls), values)
                yield None, None, "starting: loading the network and the images", ""
                for item in jobs.run_transfer(content, style, opts, web, workspace, flag, list(t_controls),
                                              style_name=style_name):
                    if isinstance(item, jobs.Progress):
                        yield str(item.preview), None, item.status, item.command
                    else:
                        yield str(item.path), str(item.path), item.status, item.command
            except Exception as e:
                raise page_error(e) from None
            finally:
                flag.set()
                stops.end(session, flag)

        def stop(request: gr.Request) -> str:
            found = stops.stop(request.session_hash or "")
            return "stopping: the best image so far comes next" if found else "no Optimize run of yours is running"

        def apply(model: str | None, content: str | None, *values: Any) -> tuple:
            try:
                opts = build_options(ApplyOptions, APPLY_SHOWN, values, {"format": "png"})
                r = jobs.run_apply(jobs.model_path(web.models, model), content, opts, web, workspace)
            except Exception as e:
                raise page_error(e) from None
            return str(r.path), str(r.path), r.status, r.command

        def refresh() -> Any:
            return gr.update(choices=jobs.list_models(web.models))

        api_parameters(fast, ["content", "style", "style_name", *f_names])
        api_parameters(transfer, ["content", "style", "style_name", *t_controls], request=True)
        api_parameters(apply, ["model", "content", *APPLY_SHOWN])
        f_run.click(fast, [f_content, f_style, f_style_name, *f_controls.values()], list(f_out), api_name="fast",
                    concurrency_limit=web.fast_concurrency, concurrency_id="one-pass")
        t_run.click(transfer, [t_content, t_style, t_style_name, *t_controls.values()], list(t_out),
                    api_name="transfer", concurrency_limit=web.optimize_concurrency, concurrency_id="optimize")
        t_stop.click(stop, None, [t_out[2]], api_name="stop", concurrency_limit=None, show_progress="hidden")
        a_run.click(apply, [a_model, a_content, *a_controls.values()], list(a_out), api_name="apply",
                    concurrency_limit=web.fast_concurrency, concurrency_id="one-pass")
        a_refresh.click(refresh, None, [a_model], api_name=False, concurrency_limit=None)
    return demo


def serve(web: WebOptions, ready: Callable[[str], None] | None = None) -> None:
    """Serve the page until interrupted (Ctrl-C / SIGTERM), on ``web.host:web.port``, no share link.

    ``ready`` is called with the page's address once the server listens.

    Raises:
        NSTError: the port is taken, or the share folder cannot be made.
    """
    try:
        workspace = jobs.Workspace(share_folder=web.share_folder)
    except OSError as e:
        raise NSTError(f"--share-folder {web.share_folder}: cannot create it ({e.strerror})") from None
    demo = build_app(web, workspace)
    demo.queue(default_concurrency_limit=web.fast_concurrency, max_size=256)
    try:
        demo.launch(server_name=web.host, server_port=web.port, share=False, inbrowser=False,
                    prevent_thread_lock=True, show_error=False, quiet=True, ssr_mode=False, mcp_server=False,
                    max_file_size=int(web.max_upload_mb * 1e6), allowed_paths=[str(workspace.root)],
                    **demo.nst_launch)
    except OSError:
        raise NSTError(f"cannot listen on {web.host}:{web.port}: the port is in use or not allowed "
                       "(choose another with --port)") from None
    url = f"http://{web.host}:{web.port}/"
    if ready is not None:
        ready(url)
    try:
        demo.block_thread()
    finally:
        demo.close()
        shutil.rmtree(workspace.root, ignore_errors=True)
