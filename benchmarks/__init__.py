"""minigan's benchmarks: python -m benchmarks --help."""
