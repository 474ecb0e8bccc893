"""The web workspace (``monitor web``): inspectors review findings, units see their own
accounts, behind a login. Server-rendered (FastAPI + Jinja2, htmx for small interactions).

``create_app(app)`` builds the ASGI application; ``users`` holds the people who may sign in;
``links`` builds the public page addresses alerts point to (no web dependencies there).
"""
