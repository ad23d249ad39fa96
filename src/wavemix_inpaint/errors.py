"""Exceptions that carry a message meant for the user (the CLI prints them without a traceback)."""

from __future__ import annotations


class WavemixError(Exception):
    """Base class for errors caused by user input, files or configuration."""

    exit_code = 2


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
