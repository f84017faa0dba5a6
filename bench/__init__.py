"""Benchmarks for the speed goals in the product brief (`make bench`); see bench/README.md."""
