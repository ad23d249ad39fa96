"""Reading and writing user images and masks for inference, keeping what the file carries
(``reading.py``: images and masks in; ``writing.py``: results out).

:func:`read_image` returns a :class:`LoadedImage`: the RGB pixels the model sees plus everything
needed to write the result back like the source. :func:`save_image` / :func:`encode_image` write it.

What is read
    * The EXIF orientation is applied (pixels are upright); the tag is reset to 1 ("normal") in the
      EXIF and XMP written back, so viewers do not rotate the result a second time.
    * An alpha channel (RGBA, LA, PA, palette transparency) is split off as :attr:`LoadedImage.alpha`
      and re-attached on save, unchanged.
    * ICC profile, EXIF, XMP, DPI, JPEG comment and PNG text chunks are kept; a TIFF's descriptive
      tags (description, make, model, date, artist, copyright...) are kept as EXIF. The EXIF
      thumbnail (IFD1) is dropped: it is a copy of the source, and would still show what was removed.
    * 16-bit images (PNG, TIFF) are read at full precision (``uint16`` pixels).
    * Only single-frame images are accepted (camera MPO files use their first, main frame).
    * Files above ``max_pixels`` (default :data:`DEFAULT_MAX_PIXELS`, 100 MP) are refused before
      being decoded (decompression-bomb protection); corrupt, truncated and non-image files raise
      :class:`~wavemix_inpaint.errors.InputError` naming the file.

What is written back (format from the output file's extension)
    ======================  ================================================================
    source                  output
    ======================  ================================================================
    RGB / RGBA              same mode
    greyscale L / LA / 1    same mode (the fill is converted to grey with ITU-R 601 luma)
    palette P               P with the source palette and the same transparency (index or
                            per-entry alpha table): each filled pixel takes the nearest palette
                            colour among the entries with the source's alpha there (no dithering)
    CMYK                    CMYK (through the embedded ICC profile when there is one)
    16-bit grey / colour    16-bit PNG (with ICC, EXIF and text chunks), 16-bit TIFF
                            (colour TIFF via OpenCV: no metadata); 8 bits for other formats
    other modes             RGB (RGBA with alpha)
    ======================  ================================================================

    When a mode cannot be stored in the output format (e.g. CMYK as PNG) the output is RGB/RGBA;
    alpha written to JPEG is flattened onto white; BMP stores it exactly (a 32-bit BMP with an alpha
    mask), GIF as its one transparent index (pixels under half opacity; up to 255 visible colours are
    exact). With a ``mask``, known pixels are copied from
    the source in its own mode, so they are bit-exact for every lossless output format.
    Colour-key transparency (a palette's transparent entries, a PNG tRNS grey / RGB key) is kept
    where the format stores it (PNG; GIF for one transparent index), else the output is RGBA; filled
    pixels get the source's alpha (an opaque fill is nudged one level off the key colour). A 16-bit
    grey key stays a key in PNG (TIFF cannot store one: the output is opaque) and is an alpha channel in
    8-bit outputs; a 16-bit colour key is read as an alpha channel (RGBA output).
    Output formats (:data:`writing.OUTPUT_FORMATS`): PNG, JPEG, WebP, BMP, TIFF, GIF; an encoder
    failure is an :class:`~wavemix_inpaint.errors.InputError` naming the file and format.

    JPEG: the source's quantisation tables and chroma subsampling are reused (``quality="keep"``)
    when the source is a JPEG, else quality 95; ``quality=Q`` overrides (the source's chroma
    subsampling is kept either way). WebP: lossless when the source was lossless WebP (or
    ``lossless=True``), else quality 95 (or ``quality``). PNG output is always lossless. TIFF keeps
    the source's compression (JPEG-compressed: ``quality``, else 95). 16-bit PNGs are written by our own small
    encoder (``writing.encode_png16``) because OpenCV's, the obvious library choice, drops the ICC,
    EXIF and text chunks that the output must keep.

Masks (:func:`read_mask`, the one mask reader of the package: CLI, server, API and the evaluation's fixed
mask sets): greyscale 0/255 or 0/1, bilevel, 16-bit, RGB and images with an alpha channel that varies
(the alpha is the mask, opaque = hole); values above half the range are holes. ``invert``,
``dilate`` (distance transform) and ``resize`` (nearest) options. For an image with a 90-degree EXIF
rotation, a mask to be resized is placed by its aspect ratio (drawn on the stored or the shown layout)
before resizing, and refused when it matches neither.
"""

from wavemix_inpaint.imageio.reading import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_QUALITY,
    IMAGE_EXTENSIONS,
    SERVER_MAX_PIXELS,
    LoadedImage,
    dilate_mask,
    find_images,
    image_dimensions,
    image_suffixes,
    prepare_mask,
    read_image,
    read_mask,
    reset_exif_orientation,
    upright_mask,
)
from wavemix_inpaint.imageio.writing import encode_image, encode_png16, format_for_path, save_image

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_QUALITY",
    "IMAGE_EXTENSIONS",
    "SERVER_MAX_PIXELS",
    "LoadedImage",
    "dilate_mask",
    "encode_image",
    "encode_png16",
    "find_images",
    "format_for_path",
    "image_dimensions",
    "image_suffixes",
    "prepare_mask",
    "read_image",
    "read_mask",
    "reset_exif_orientation",
    "save_image",
    "upright_mask",
]
