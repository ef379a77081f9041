"""Rasa custom actions: thin adapters over the `bot` package."""

from threadpoolctl import threadpool_limits

# The action server answers many small requests; each recommendation does small
# products and an ALS solve that OpenBLAS's threads only slow down (0.11 ms on one
# thread against 1.6 ms on two): one BLAS thread per action server process.
threadpool_limits(1, "blas")
