"""Options of ``nst web``, declared once (:mod:`nst.config`); no heavy imports (the CLI reads them at startup)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import check_fields, option

SERVER, LIMITS = "server", "limits (per request)"


@dataclass
class WebOptions:
    """Options of the ``nst web`` server; checked when built.

    Sizes are in pixels, upload sizes in megabytes (10^6 bytes).

    Raises:
        OptionError: a bad value, naming the field.
    """

    host: str = option("127.0.0.1", group=SERVER,
                       help="address to listen on (0.0.0.0: every interface; the page has no login)")
    port: int = option(7860, check="positive", group=SERVER, help="port to listen on")
    share_folder: str | None = option(None, group=SERVER, metavar="DIR",
                                      help="also keep a copy of every result in this folder (never overwriting)")
    models: str | None = option(None, group=SERVER, metavar="DIR",
                                help="folder of trained models (.safetensors from nst train, .onnx from nst export) "
                                     "offered in the 'Apply a model' tab")
    max_upload_mb: float = option(20.0, check="positive", group=LIMITS, metavar="MB",
                                  help="largest upload accepted, in megabytes")
    max_pixels: int = option(25_000_000, check="positive", group=LIMITS, metavar="PIXELS",
                             help="largest image accepted, in pixels (width x height); larger ones, and "
                                  "decompression bombs, are refused with a message")
    max_transfer_size: int = option(1024, check="side", group=LIMITS, metavar="PX",
                                    help="largest output long side of an Optimize run")
    optimize_concurrency: int = option(1, check="positive", group=LIMITS, metavar="N",
                                       help="Optimize runs at once (the others wait in the queue)")
    fast_concurrency: int = option(4, check="positive", group=LIMITS, metavar="N",
                                   help="Fast and Apply runs at once (the others wait in the queue)")
    preview_every: int = option(5, check="positive", group=LIMITS, metavar="N",
                                help="show the Optimize iterate every N iterations")

    def __post_init__(self) -> None:
        check_fields(self)
