"""The unit's reply: text and attachments; the order goes to 已回复 for the inspector."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from monitor.config import Settings
from monitor.orders import attachments
from monitor.orders.states import CLOSED, OrderError, move
from storage.models import OrderReply, RectificationOrder

MAX_TEXT = 5000


def add_reply(order: RectificationOrder, who: str, text: str, files: list[tuple[str, bytes]],
              settings: Settings, now: datetime) -> OrderReply:
    """Check every file first: one refused file refuses the reply, and nothing is stored."""
    if order.state == CLOSED:
        raise OrderError(f"整改单{order.id}已复核通过，无需再回复")
    text = (text or "").strip()
    if not text:
        raise OrderError("请填写整改情况说明")
    if len(text) > MAX_TEXT:
        raise OrderError(f"整改情况说明过长（{len(text)}字，上限{MAX_TEXT}字）")
    cfg = settings.orders
    files = [(n, d) for n, d in files if n or d]
    if len(files) > cfg.attachments_per_reply:
        raise OrderError(f"附件过多（{len(files)}个，每次回复最多{cfg.attachments_per_reply}个）")
    limit = int(cfg.attachment_max_mb * 2**20)
    for name, data in files:
        attachments.check(attachments.clean_name(name), data, limit)
    stored = [attachments.store(Path(cfg.attachments_dir), n, d, limit).as_dict() for n, d in files]
    reply = OrderReply(at=now, user_name=who, text=text, attachments=stored)
    order.replies.append(reply)
    move(order, "replied", now, who, "replied", f"附件{len(stored)}个" if stored else "")
    return reply
