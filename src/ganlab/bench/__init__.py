"""`ganlab bench`: training throughput on this machine, measured on the real training loop against the
machine's measured peak (issue 6). `bench_config` is the library entry; `bench` the click command."""

from ganlab.bench.cli import bench
from ganlab.bench.runner import BenchSettings, DataCache, bench_config

__all__ = ["bench", "bench_config", "BenchSettings", "DataCache"]
