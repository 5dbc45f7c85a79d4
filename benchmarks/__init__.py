"""The course's benchmark: developer tooling, not part of the student package.

``python -m benchmarks`` (or ``make bench``) from a repository checkout. Each module
measures one thing:

- :mod:`benchmarks.limit`: the machine's float32 matrix-multiply limit
  (``torch.utils.benchmark.Timer``) and the training FLOPs per image
  (``torch.utils.flop_counter.FlopCounterMode``);
- :mod:`benchmarks.throughput`: the seed tutorials' pipeline against
  :func:`mnist_course.training.fit` (images/s), and the time to 95% test accuracy;
- :mod:`benchmarks.notebooks`: every lesson under strict nbval, with the peak memory of
  its kernel (``psutil``);
- :mod:`benchmarks.latency`: the dashboard's delay from a change to the first curve point;
- :mod:`benchmarks.config` (settings, machine), :mod:`benchmarks.report` (tables,
  targets, JSON, plot) and :mod:`benchmarks.__main__` (the command line).
"""
