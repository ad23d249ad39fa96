"""``wavemix-inpaint serve``: the web UI and REST API on a local port."""

from __future__ import annotations

import argparse
from pathlib import Path

from wavemix_inpaint.cli.inpaint import add_model_arguments, load_inpainter, set_threads
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.imageio import SERVER_MAX_PIXELS as DEFAULT_MAX_IMAGE_PIXELS
from wavemix_inpaint.inference.options import add_option_arguments, options_from_args

HELP = "start the web UI and REST API (needs: pip install 'wavemix-inpaint[serve]')"

INSTALL_HINT = "pip install 'wavemix-inpaint[serve]'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default: 127.0.0.1, this machine only; use 0.0.0.0 to expose it on the "
        "network: there is no authentication)",
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    add_model_arguments(parser)
    parser.add_argument(
        "--offer",
        action="append",
        default=[],
        metavar="MODEL",
        help="also offer this model to requests (their `model` field, a dropdown in the UI): a bundled name, a "
        "classical method (telea, navier-stokes, biharmonic, patchmatch), a checkpoint or an .onnx file; repeatable",
    )
    parser.add_argument(
        "--max-models-mb",
        type=float,
        metavar="MB",
        help="memory for loaded models; the least recently used are unloaded beyond it (default: 1024)",
    )
    add_option_arguments(parser, skip=("invert_mask", "dilate"))  # the server's defaults for every request
    parser.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_IMAGE_PIXELS,
        metavar="N",
        help=f"refuse images with more pixels (decompression-bomb guard; default {DEFAULT_MAX_IMAGE_PIXELS})",
    )
    parser.add_argument(
        "--max-memory",
        type=float,
        metavar="MB",
        help="memory the requests may use together (20%% for the images waiting in the queue, the rest shared by "
        "the running inferences); a request estimated to need more than its share gets 413 "
        "(default: 80%% of what the machine, the cgroup and ulimit -v leave at start-up)",
    )
    parser.add_argument("--max-upload-mb", type=float, default=20.0, help="largest accepted request body in MiB (default: 20)")
    parser.add_argument("--max-concurrency", type=int, default=1, help="inferences that may run at the same time (default: 1)")
    parser.add_argument("--max-queue", type=int, default=8, help="requests that may wait for a free slot before 503 (default: 8)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a request may take, queueing included (default: 60)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def _check_arguments(args: argparse.Namespace) -> None:
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port must be between 1 and 65535, got {args.port}")
    if args.max_upload_mb <= 0:
        raise InputError("--max-upload-mb must be positive")
    if args.max_concurrency < 1:
        raise InputError("--max-concurrency must be at least 1")
    if args.max_queue < 0:
        raise InputError("--max-queue must be 0 or more")
    if args.timeout <= 0:
        raise InputError("--timeout must be positive")
    if args.max_pixels < 1:
        raise InputError("--max-pixels must be at least 1")
    if args.max_memory is not None and args.max_memory <= 0:
        raise InputError("--max-memory must be positive")


def _catalog(args: argparse.Namespace):  # noqa: ANN202 - a ModelCatalog, imported lazily
    """The primary model (--model / --checkpoint / --onnx) first, then every --offer."""
    from wavemix_inpaint.server.catalog import ModelCatalog, load_offer, parse_offer

    primary = args.checkpoint or args.onnx or args.model or "default"

    def load(offer):  # noqa: ANN001, ANN202
        if (offer.kind, offer.source) == (offers[0].kind, offers[0].source):  # the primary: --model / --checkpoint / --onnx
            return load_inpainter(args)
        return load_offer(offer, device=args.device, precision=args.precision)

    offers = [parse_offer(primary)] + [parse_offer(spec) for spec in args.offer]
    return ModelCatalog(offers, load, budget_bytes=int((args.max_models_mb or 1024) * 2**20))


def run(args: argparse.Namespace) -> int:
    _check_arguments(args)
    set_threads(args)  # every model the server loads runs on this budget
    try:
        import fastapi  # noqa: F401
        import multipart  # noqa: F401  (python-multipart, needed for form uploads)
        import uvicorn
    except ImportError as error:
        raise InputError(
            f"the web server needs FastAPI, uvicorn and python-multipart ({error.name or error} is missing); "
            f"install them with: {INSTALL_HINT}"
        ) from None

    from wavemix_inpaint.server import create_app

    options = options_from_args(args)  # validated before the model is loaded
    catalog = _catalog(args)  # unknown offers fail here, before anything is loaded
    print("loading the model ...", flush=True)
    catalog.get()
    info = (
        {"source": "checkpoint", "file": Path(args.checkpoint).name}
        if args.checkpoint
        else (
            {"source": "onnx", "file": Path(args.onnx).name}
            if args.onnx
            else {"source": "pretrained", "pretrained": args.model or "default"}
        )
    )

    app = create_app(
        catalog,
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        max_concurrency=args.max_concurrency,
        max_queue=args.max_queue,
        request_timeout_s=args.timeout,
        max_image_pixels=args.max_pixels,
        model_info=info,
        options=options,
        max_memory_bytes=int(args.max_memory * 2**20) if args.max_memory else None,
    )
    display_host = f"[{args.host}]" if ":" in args.host else args.host
    if args.host in ("0.0.0.0", "::"):
        print("warning: listening on all interfaces; anyone who can reach this machine can use the server")
        display_host = "127.0.0.1"
    print(f"wavemix-inpaint web UI: http://{display_host}:{args.port}/", flush=True)
    print(f"REST API docs:          http://{display_host}:{args.port}/docs", flush=True)
    print("press Ctrl+C to stop", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0
