"""Whether a Weibo post takes comments (docs/research/interaction.md).

Every mblog in the timeline carries ``comment_manage_info``: ``comment_permission_type`` −1
is "everyone may comment" (what ordinary posts show); any other value is a restriction the
author set (关注的人/粉丝 only, or comments closed — the public payload does not say which);
``approval_comment_type`` 1 is 精选评论: comments appear only once the author lets them.
``enable_comment_guide`` false means the comment box is not offered. A post without
``comment_manage_info`` tells nothing.
"""
from __future__ import annotations

from typing import Any, Optional

OPEN_PERMISSION = -1


def comment_state(mblog: dict[str, Any]) -> Optional[dict[str, Any]]:
    """``{"closed": bool, "limited": bool, "source": …, raw fields}`` or None when the post
    does not say. m.weibo.cn's timeline cards carry only ``enable_comment_guide`` (the real
    payloads in fixtures/real/weibo); weibo.com and ``statuses/show`` add ``comment_manage_info``."""
    info = mblog.get("comment_manage_info")
    guide = mblog.get("enable_comment_guide")
    count = mblog.get("comments_count") if isinstance(mblog.get("comments_count"), int) else None
    permission = None
    if isinstance(info, dict):
        try:
            permission = int(info.get("comment_permission_type"))
        except (TypeError, ValueError):
            permission = None
    if permission is None and not isinstance(guide, bool):
        return None
    approval = info.get("approval_comment_type") if isinstance(info, dict) else None
    restricted = permission is not None and permission != OPEN_PERMISSION
    # No comment box offered, and no permission field saying "everyone".
    closed = guide is False and (permission is None or restricted)
    return {
        "closed": closed,
        "limited": closed or restricted or str(approval) == "1",
        "source": "comment_manage_info" if permission is not None else "enable_comment_guide",
        "permission_type": permission, "approval_type": approval, "comment_guide": guide, "count": count,
    }
