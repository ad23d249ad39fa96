"""Decoder fuzzing: mutated image files of every supported format, fed to the CLI, the Python API and the server.

Every input must end as an inpainted image or a clean project error (a ``WavemixError`` in the CLI and the
API, a 4xx JSON error from the server): never a crash (any other exception, a 5xx) and never a hang. The
seed files are made here (PNG, JPEG, WebP, TIFF, BMP, GIF, 8/16-bit, grey/RGB/RGBA/palette); mutations:
bit flips, truncation, inserted and zeroed byte runs, a wrong extension, and headers declaring huge
dimensions in tiny files (decompression bombs).

    python benchmarks/decoder_fuzz.py --count 10000 [--seed 0] [--timeout 20]      # prints a JSON summary

``tests/test_decoder_fuzz.py`` runs 200 of them on every test run.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

FORMATS = ("png", "jpg", "webp", "tif", "bmp", "gif")


def seed_files(rng: np.random.Generator) -> list[tuple[str, bytes]]:
    """Valid small images of every format and a variety of modes."""
    height, width = 40, 56
    base = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    base = np.cumsum(base, axis=1).astype(np.uint8)  # some structure, so codecs do real work
    variants = {
        "RGB": Image.fromarray(base),
        "L": Image.fromarray(base[..., 0]),
        "RGBA": Image.fromarray(np.dstack([base, base[..., :1]])),
        "P": Image.fromarray(base).convert("P"),
        "I;16": Image.fromarray(base[..., 0].astype(np.uint16) * 257),
    }
    files = []
    for fmt in FORMATS:
        for mode, image in variants.items():
            if mode == "I;16" and fmt not in ("png", "tif"):
                continue
            if mode in ("RGBA", "P") and fmt in ("jpg",):
                continue
            buffer = io.BytesIO()
            image.save(buffer, format={"jpg": "JPEG", "tif": "TIFF"}.get(fmt, fmt.upper()))
            files.append((fmt, buffer.getvalue()))
    return files


def _png_bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _bmp_bomb(width: int, height: int) -> bytes:
    header = b"BM" + struct.pack("<IHHI", 54 + 12, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 12, 2835, 2835, 0, 0)
    return header + info + b"\x00" * 12


def _gif_bomb(width: int, height: int) -> bytes:
    width, height = min(width, 65_535), min(height, 65_535)  # GIF sizes are 16-bit
    return (
        b"GIF89a"
        + struct.pack("<HH", width, height)
        + b"\x00\x00\x00"
        + b",\x00\x00\x00\x00"
        + struct.pack("<HH", width, height)
        + b"\x00\x02\x02D\x01\x00;"
    )


def mutate(rng: np.random.Generator, fmt: str, data: bytes) -> tuple[str, bytes, str]:
    """One mutated file: ``(extension, bytes, what was done)``."""
    kind = rng.integers(0, 7)
    array = bytearray(data)
    if kind == 0:  # bit flips
        for _ in range(int(rng.integers(1, 9))):
            position = int(rng.integers(0, len(array)))
            array[position] ^= 1 << int(rng.integers(0, 8))
        return fmt, bytes(array), "bit flips"
    if kind == 1:  # truncation
        return fmt, bytes(array[: int(rng.integers(0, len(array)))]), "truncated"
    if kind == 2:  # inserted random run
        position = int(rng.integers(0, len(array)))
        run = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        return fmt, bytes(array[:position]) + run + bytes(array[position:]), "insertion"
    if kind == 3:  # zeroed run
        start = int(rng.integers(0, len(array)))
        stop = min(len(array), start + int(rng.integers(1, 128)))
        array[start:stop] = b"\x00" * (stop - start)
        return fmt, bytes(array), "zeroed run"
    if kind == 4:  # a valid file under the wrong extension
        others = [other for other in FORMATS if other != fmt]
        return str(rng.choice(others)), data, "wrong extension"
    if kind == 5:  # huge declared dimensions in a tiny file
        side = int(rng.choice([50_000, 65_535, 1 << 20]))
        maker = [(_png_bomb, "png"), (_bmp_bomb, "bmp"), (_gif_bomb, "gif")][int(rng.integers(0, 3))]
        return maker[1], maker[0](side, side), "huge declared size"
    # several mutations at once
    ext, mutated, _ = mutate(rng, fmt, data)
    ext, mutated, _ = mutate(rng, ext, mutated)
    return ext, mutated, "combined"


def make_corpus(count: int, seed: int) -> list[tuple[str, bytes, str]]:
    rng = np.random.default_rng(seed)
    seeds = seed_files(rng)
    corpus = []
    for _ in range(count):
        fmt, data = seeds[int(rng.integers(0, len(seeds)))]
        corpus.append(mutate(rng, fmt, data))
    return corpus


def _mask_png(width: int = 56, height: int = 40) -> bytes:
    mask = np.zeros((height, width), np.uint8)
    mask[10:25, 15:40] = 255
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, format="PNG")
    return buffer.getvalue()


def run_corpus(
    corpus: list[tuple[str, bytes, str]], folder: Path, targets: dict[str, Callable[[Path, Path, bytes], str]], timeout: float
) -> dict[str, Counter]:
    """Feed every file to every target; each call returns ``inpainted`` / ``clean error`` / ``crash: ...``;
    a call slower than ``timeout`` seconds is counted as a hang."""
    mask_bytes = _mask_png()
    mask_path = folder / "mask.png"
    mask_path.write_bytes(mask_bytes)
    counts: dict[str, Counter] = {name: Counter() for name in targets}
    for index, (ext, data, _) in enumerate(corpus):
        path = folder / f"input_{index:05d}.{ext}"
        path.write_bytes(data)
        for name, target in targets.items():
            started = time.perf_counter()
            outcome = target(path, mask_path, mask_bytes)
            if time.perf_counter() - started > timeout:
                outcome = "hang"
            counts[name][outcome.split(":")[0]] += 1
            if outcome.startswith("crash"):
                counts[name][f"{outcome} [{path.name}]"] += 1
        path.unlink()
    return counts


def make_targets(folder: Path) -> dict[str, Callable[[Path, Path, bytes], str]]:
    """The CLI, the Python API and the server, each around the same tiny fixed-seed model."""
    import warnings

    import torch

    from wavemix_inpaint.checkpoint import save_checkpoint
    from wavemix_inpaint.cli.main import main as cli
    from wavemix_inpaint.errors import WavemixError
    from wavemix_inpaint.inpainter import Inpainter
    from wavemix_inpaint.models import create_model

    torch.manual_seed(0)
    model = create_model("wavemix-tiny").eval()
    checkpoint = save_checkpoint(model, folder / "tiny.safetensors")
    inpainter = Inpainter(model, device="cpu")
    lock = threading.Lock()

    def api(path: Path, mask: Path, _: bytes) -> str:
        output = folder / f"api_out{path.suffix}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                inpainter.inpaint_file(path, mask, output, overwrite=True)
            return "inpainted"
        except WavemixError:
            return "clean error"
        except Exception as error:  # noqa: BLE001 - the point is to catch anything else
            return f"crash: {type(error).__name__}: {error}"

    def command_line(path: Path, mask: Path, _: bytes) -> str:
        output = folder / f"cli_out{path.suffix}"
        try:
            with lock:
                code = cli(
                    [
                        "inpaint",
                        "--image",
                        str(path),
                        "--mask",
                        str(mask),
                        "--output",
                        str(output),
                        "--checkpoint",
                        str(checkpoint),
                        "--overwrite",
                    ]
                )
            return "inpainted" if code == 0 else "clean error" if code == 2 else f"crash: exit {code}"
        except SystemExit as error:
            return "clean error" if error.code == 2 else f"crash: exit {error.code}"
        except Exception as error:  # noqa: BLE001
            return f"crash: {type(error).__name__}: {error}"

    from fastapi.testclient import TestClient

    from wavemix_inpaint.server import create_app

    client = TestClient(create_app(inpainter, request_timeout_s=None), raise_server_exceptions=False)

    def server(path: Path, _: Path, mask_bytes: bytes) -> str:
        files = {"image": (path.name, path.read_bytes()), "mask": ("mask.png", mask_bytes)}
        try:
            response = client.post("/api/v1/inpaint", files=files)
        except Exception as error:  # noqa: BLE001
            return f"crash: {type(error).__name__}: {error}"
        if response.status_code == 200:
            return "inpainted"
        if 400 <= response.status_code < 500 and "error" in response.json():
            return "clean error"
        return f"crash: HTTP {response.status_code} {response.text[:200]}"

    return {"cli": command_line, "api": api, "server": server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--folder", default="results/decoder-fuzz")
    args = parser.parse_args()
    import contextlib
    import os

    import torch

    torch.set_num_threads(1)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    corpus = make_corpus(args.count, args.seed)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        counts = run_corpus(corpus, folder, make_targets(folder), args.timeout)
    summary = {
        "files": args.count,
        "seed": args.seed,
        "outcomes": {name: dict(counter) for name, counter in counts.items()},
        "mutations": dict(Counter(what for _, _, what in corpus)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "seconds": round(time.perf_counter() - started),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
