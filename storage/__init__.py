"""Persistence: typed SQLAlchemy models, engine/session helpers and Alembic migrations.

This package imports nothing else of the project, so every other layer can depend on it.
"""
from storage.db import make_engine, session_scope, upgrade_to_head
from storage.models import (
    Account,
    Alert,
    AppCheck,
    Base,
    EvidencePackage,
    Finding,
    Observation,
    OrderReply,
    Post,
    RectificationOrder,
    Run,
    ScoreCard,
    Tongbao,
)

__all__ = [
    "Account", "Alert", "AppCheck", "Base", "EvidencePackage", "Finding", "Observation",
    "OrderReply", "Post", "RectificationOrder", "Run", "ScoreCard", "Tongbao", "make_engine", "session_scope", "upgrade_to_head",
]
