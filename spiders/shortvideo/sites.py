"""Where each platform shows an account and its works, and RSSHub's route for it: the one
place the registry (profile links) and the spiders (pages to open, feeds to read) agree on."""
from __future__ import annotations

# Profile page of an account, under the platform's base URL.
PAGES = {"douyin": "/user/{id}", "toutiao": "/c/user/token/{id}/", "kuaishou": "/profile/{id}"}
# RSSHub routes (lib/routes/douyin/user.ts, toutiao/user.tsx, kuaishou/profile.ts).
ROUTES = {"douyin": "/douyin/user/{id}", "toutiao": "/toutiao/user/token/{id}", "kuaishou": "/kuaishou/profile/{id}"}
# A work's page on the real site, for items whose feed gives no link.
POST_PAGES = {"douyin": "https://www.douyin.com/video/{id}", "toutiao": "https://www.toutiao.com/article/{id}/",
              "kuaishou": "https://www.kuaishou.com/short-video/{id}"}
