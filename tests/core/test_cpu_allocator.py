"""The CPU backend keeps freed host memory for reuse: no page faults for repeated large temporaries."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("resource")

CHILD = """
import json, resource, numpy, ember
ember.zeros(1)  # loads the cpu backend
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    a = numpy.ones(4 << 20, dtype=numpy.float32); b = a * 2; del a, b
start = faults()
for _ in range(20):
    a = numpy.ones(4 << 20, dtype=numpy.float32); b = a * 2; del a, b
print(json.dumps((faults() - start) / 20))
"""


def _faults_per_step(env_value):
    env = {"EMBER_CPU_KEEP_FREED_MEMORY": env_value}
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, **env})
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tunes glibc's allocator")
def test_large_temporaries_reuse_freed_memory():
    # two 16 MiB arrays per step: 8,192 pages that glibc would map and fault in again each time
    tuned, untuned = _faults_per_step("1"), _faults_per_step("0")
    assert tuned < 100
    assert untuned > 1000
