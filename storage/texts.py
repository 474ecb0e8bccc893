"""The identity of a post's text, shared by the writer (spiders/pipelines.py) and the text
check (monitor/detectors/post_texts.py): a post is checked again exactly when this changes."""
from __future__ import annotations

import hashlib


def text_sha(title: str | None, text: str | None) -> str | None:
    """SHA-256 of the title and text a post is stored with; None when it has neither."""
    if not title and not text:
        return None
    return hashlib.sha256(f"{title or ''}\x1f{text or ''}".encode("utf-8", "surrogatepass")).hexdigest()
