"""What a forked process writes of its parent's in-memory store: its private dirty memory after
each step (MB, /proc/self/smaps_rollup).

    python bench/forkshare.py build/bench/data-1m-seed8
"""

import gc
import os
import sys
from pathlib import Path

from dakg.store.dataset import Dataset


def pd() -> int:
    """This process's private dirty memory, MB."""
    with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Private_Dirty"):
                return int(line.split()[1]) // 1024
    return 0


ds = Dataset.load(Path(sys.argv[1]))
print("parent private", pd(), flush=True)
gc.freeze()
pid = os.fork()
if pid == 0:
    print("child at fork", pd(), flush=True)
    len(ds.store)
    print("after len", pd(), flush=True)
    list(ds.store.named_graphs())
    print("after named_graphs", pd(), flush=True)
    list(
        ds.store.query(
            "SELECT ?p ?o WHERE { <https://w3id.org/dakg/id/pillar/x> ?p ?o }",
            use_default_graph_as_union=True,
        )
    )
    print("after lookup", pd(), flush=True)
    gc.collect()
    print("after gc.collect", pd(), flush=True)

    print("after import app", pd(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
