"""Run under mpiexec: rank 1 raises while the others wait in a collective; the job must abort, not hang."""

import ember
import ember.distributed as dist

dist.init_process_group("gloo")
if dist.get_rank() == 1:
    raise RuntimeError("deliberate failure on rank 1")
dist.all_reduce(ember.ones(1))  # never completes: rank 1 is gone
print("unreachable", flush=True)
