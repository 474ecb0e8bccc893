"""Shared fixtures. Each module in tests/fixtures/ is a pytest plugin loaded here, so a new
concern (a sandbox, an SMTP sink, a TSA) adds a file and touches nothing else."""
import pkgutil

import tests.fixtures as _fx

pytest_plugins = [f"tests.fixtures.{m.name}" for m in pkgutil.iter_modules(_fx.__path__)]
