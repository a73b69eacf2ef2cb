"""On-demand performance benchmarks for briefbot (never run as tests): `python -m benchmarks`."""
