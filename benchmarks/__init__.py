"""Benchmarks: every figure is a ratio to a floor measured in the same run (noisy shared machines).

`python -m benchmarks [NAME ...]` (what `make bench` runs) runs each registered suite and writes
`benchmarks/results.json`: a list of `{id, what, value, floor, ratio, bound, unit}`.
"""
