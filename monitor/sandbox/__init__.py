"""A local double of the outside world (Weibo, WeChat, app downloads and stores) for the
demo, the tests and the benchmarks. It imitates the real payload shapes (see
shared/research and shared/fixtures/real); it is never a substitute for the real sites."""
from monitor.sandbox.scenario import DEMO_AT, ScaleScenario, Scenario, load_scenario
from monitor.sandbox.server import DEMO_BASE, DEMO_PORT, Faults, SandboxServer, World, platform_config, tag

__all__ = ["DEMO_AT", "DEMO_BASE", "DEMO_PORT", "Faults", "SandboxServer", "ScaleScenario", "Scenario",
           "World", "load_scenario", "platform_config", "tag"]
