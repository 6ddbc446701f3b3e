"""Loopback servers shared by the tests and the benchmarks (one implementation, no copies)."""
