"""The synthetic demo county (长兴县) used by `anju demo`, the tests and the benchmarks."""
