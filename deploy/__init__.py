"""Running the system: ``launcher.py`` (``make run``, the containers' ``prepare``) and
``harness.py`` (a throw-away copy of it for the end-to-end tests and the benchmarks)."""
