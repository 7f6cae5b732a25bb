"""What the tests and the benchmarks share: request bodies with sensible defaults, free local ports."""
