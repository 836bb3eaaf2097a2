"""Imported last by the worker pool's forkserver: collect, then freeze the heap it has built.

``gc.freeze()`` moves every object alive now into a permanent generation the collector never walks
again. The forkserver forks every worker from this state; without the freeze, each worker's first
collections touch the headers of all those imported objects and copy their pages (copy-on-write),
so every worker paid for a private copy of the libraries' objects. Measured on 3,000 series x 180 d
with two workers: peak PSS of all processes 490 MiB without the freeze, 433 MiB with it.
"""

import gc

gc.collect()
gc.freeze()
