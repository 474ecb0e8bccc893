"""Evidence screenshots as small inline images, so the report stays one self-contained file."""
from __future__ import annotations

import base64
import io
import logging
from pathlib import Path

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)
WIDTH = 220
MAX_RATIO = 1.8  # full-page captures are very tall; the top of the page is what identifies it


def thumbnail_data_uri(png: Path) -> str | None:
    try:
        with Image.open(png) as img:
            img = img.convert("RGB")
            w, h = img.size
            img = img.crop((0, 0, w, min(h, int(w * MAX_RATIO))))
            img.thumbnail((WIDTH, int(WIDTH * MAX_RATIO)))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=72, optimize=True)
    except (OSError, UnidentifiedImageError) as exc:
        log.warning("evidence screenshot %s cannot be read: %s", png, exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
