"""Benchmarks (`make bench`): figures printed as a table, never asserted as timed tests."""
