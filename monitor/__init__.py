"""政务新媒体 monitor: the domain (registry, rules, detectors, scorer, evidence, alerts,
reports, platform sandbox) and the ``monitor`` command line."""
__version__ = "0.1.0"
