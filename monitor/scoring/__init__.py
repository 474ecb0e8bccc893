"""Annex 2 score cards and the per-unit / per-district aggregates."""
from monitor.scoring.aggregates import aggregates
from monitor.scoring.scorer import Card, card_json, compute_cards, score_all, score_findings, score_json

__all__ = ["aggregates", "Card", "card_json", "compute_cards", "score_all", "score_findings", "score_json"]
