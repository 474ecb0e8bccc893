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
    Post,
    Run,
    ScoreCard,
)

__all__ = [
    "Account", "Alert", "AppCheck", "Base", "EvidencePackage", "Finding", "Observation",
    "Post", "Run", "ScoreCard", "make_engine", "session_scope", "upgrade_to_head",
]
