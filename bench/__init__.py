"""Load benchmarks of webhook receiving and processing, run by hand."""
