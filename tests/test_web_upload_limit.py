"""Uploads bigger than the configured limit are refused while they arrive: a Content-Length over
it is answered 413 before the body is read, and a chunked body is cut off at the limit — the
rest is never pulled from the client. Nothing is imported or stored either way."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from storage.models import Account, OrderReply

LIMIT = 200 << 10  # the test's registry upload limit (the real one is 20 MB)
CHUNK = 64 << 10


def _accounts(app) -> int:
    with app.session() as s:
        return s.scalar(select(func.count(Account.id)))


def test_a_registry_upload_over_the_limit_is_refused_by_its_content_length(web_client, workspace, monkeypatch):
    import monitor.web.routes.registry as registry

    monkeypatch.setattr(registry, "MAX_UPLOAD", LIMIT)
    client = web_client("inspector")
    token = client.get("/registry").text.split('name="csrf_token" value="')[1].split('"')[0]
    before = _accounts(workspace.app)
    big = b"name,platform\n" + b"x" * (LIMIT * 3)
    r = client.post("/registry", data={"csrf_token": token}, files={"file": ("登记表.csv", big, "text/csv")})
    assert r.status_code == 413
    assert "上传内容超过大小上限（0.3 MB），已拒收" in r.text  # 200 KB + the form's own 64 KB
    assert _accounts(workspace.app) == before
    small = "名称,平台\n".encode()
    assert client.post("/registry", data={"csrf_token": token},
                       files={"file": ("登记表.csv", small, "text/csv")}).status_code != 413  # under it: read as before


def _post_streaming(api, path: str, chunks: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, int]:
    """POST a chunked body (no Content-Length) straight into the ASGI app; returns the status,
    the response body and how many chunks the app pulled."""
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        if pulled >= chunks:
            return {"type": "http.disconnect"}
        pulled += 1
        prefix = b'--B\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n' if pulled == 1 else b""
        return {"type": "http.request", "body": prefix + b"\0" * CHUNK, "more_body": pulled < chunks}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=B"),
                         (b"transfer-encoding", b"chunked"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(api(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled


def test_a_chunked_reply_over_the_limit_is_cut_off_while_it_streams_in(workspace):
    from monitor.web.app import create_app

    app = workspace.app
    app.settings.orders.attachment_max_mb = 0.1
    app.settings.orders.attachments_per_reply = 1  # the reply's limit: 100 KB + 64 KB of form
    api = create_app(app)
    status, body, pulled = _post_streaming(api, "/orders/1/reply", chunks=160,  # 10 MB offered
                                           headers=[(b"hx-request", b"true")])
    assert status == 413
    assert "上传内容超过大小上限" in body.decode()
    assert pulled <= 3  # 164 KB is reached in the third 64 KB chunk: the other 157 were never read
    with app.session() as s:
        assert s.scalar(select(func.count(OrderReply.id))) == 0
