"""One module per simulated platform; each defines ``register(app, world)``."""
