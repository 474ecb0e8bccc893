"""The unattended nightly daemon (APScheduler 3.11). Started with ``monitor schedule``,
which runs ``python -m schedules`` so that nothing in the product imports this package."""
