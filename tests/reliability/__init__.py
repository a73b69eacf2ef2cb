"""Reliability: crashes, concurrency, hostile input and shutdown, on real files and processes."""
