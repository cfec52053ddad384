"""Local stand-ins for the payment platforms (development, the demo, tests). Never imported by
the API: run with `python -m payments.simulators.run` (scripts/run-demo.sh) or from tests."""
