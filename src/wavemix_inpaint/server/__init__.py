"""Web app and REST API (``pip install 'wavemix-inpaint[serve]'``).

:func:`create_app` builds the FastAPI application around any inpainting callable with the
:class:`~wavemix_inpaint.inpainter.Inpainter` signature
``inpainter(image, mask, *, invert_mask=False, strategy="crop") -> PIL.Image``; run it with
``wavemix-inpaint serve`` or any ASGI server::

    import uvicorn
    from wavemix_inpaint.inpainter import Inpainter
    from wavemix_inpaint.server import create_app

    uvicorn.run(create_app(Inpainter.from_pretrained()), host="127.0.0.1", port=8000)

Importing this package needs FastAPI; the rest of ``wavemix_inpaint`` does not.
"""

from wavemix_inpaint.server.app import API_PREFIX, DEFAULT_MAX_UPLOAD_BYTES, create_app

__all__ = ["API_PREFIX", "DEFAULT_MAX_UPLOAD_BYTES", "create_app"]
