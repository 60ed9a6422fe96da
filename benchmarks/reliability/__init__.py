"""Reliability and security figures for the review service: bad inputs, concurrency, faults, fuzzing, soak."""
