"""Exceptions that carry a message meant for the user (the CLI prints them without a traceback)."""

from __future__ import annotations


class WavemixError(Exception):
    """Base class for errors caused by user input, files or configuration."""

    exit_code = 2

    def __init__(self, *args: object) -> None:
        # torch re-raises an error from a DataLoader worker process as ``type("Caught X in DataLoader worker
        # process 0.\nOriginal Traceback ...")``: the message meant for the user is the traceback's tail
        if len(args) == 1 and isinstance(args[0], str) and args[0].startswith("Caught "):
            header = f"{type(self).__module__}.{type(self).__qualname__}: "
            start = args[0].rfind(header)
            if start >= 0 and "\nOriginal Traceback" in args[0]:
                args = (args[0][start + len(header) :].rstrip(),)
        super().__init__(*args)


class InputError(WavemixError):
    """A file, image, mask or argument given by the user is missing or invalid."""


class SizeMismatchError(InputError):
    """The mask is not the size of the image (as displayed)."""


class NothingKnownError(InputError):
    """The mask covers the whole image: there is no known pixel to inpaint from."""


class ImageTooLargeError(InputError):
    """An image has more pixels than the configured limit (refused as a possible decompression bomb)."""


class DiskFullError(WavemixError):
    """The disk (or the quota) is full: nothing was written; the previous file, if any, is intact."""


class CheckpointError(WavemixError):
    """A checkpoint is missing, corrupt or does not match the requested architecture."""


class MissingWeightsError(WavemixError):
    """Pretrained weights (e.g. the FID Inception network) are not available locally."""


class ModelUnavailableError(WavemixError):
    """An offered model could not be loaded (a missing or corrupt file); the server's other models still work."""
