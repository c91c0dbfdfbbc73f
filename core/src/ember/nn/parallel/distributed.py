"""DistributedDataParallel: one model replica per process, gradients averaged across processes in buckets.

How the reduction overlaps backward. Ember's engine accumulates leaf gradients
only once the whole graph has run, so hooks on the parameters themselves fire
too late to overlap anything. Instead, each forward walks the new graph once
and registers a post-hook on every node that feeds a parameter, counting how
many such edges each parameter has. As backward runs, those hooks collect the
parameter's gradient pieces; when a parameter's last piece arrives it is
ready, and when every parameter of a bucket is ready the bucket is packed
into one flat buffer and its averaging all-reduce is started (non-blocking
``Iallreduce``). Buckets start strictly in order (reverse parameter order,
the order backward reaches them) so every rank issues the same sequence.
The first parameter hook of the accumulation phase, i.e. right after the graph
walk ends, waits for all buckets and each parameter's ``.grad`` becomes its
averaged slice.
"""

from __future__ import annotations

import contextlib
from functools import partial

from ... import distributed as dist
from ..._creation import zeros
from ...autograd import _state
from ...autograd.node import Op
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1 << 20


class _Bucket:
    """Parameters (by index) packed back to back in one flat buffer that is all-reduced as a whole."""

    __slots__ = ("members", "offsets", "flat")

    def __init__(self, members, params):
        self.members = members
        self.offsets = []
        total = 0
        for i in members:
            self.offsets.append(total)
            total += params[i].numel()
        p = params[members[0]]
        self.flat = zeros(total, dtype=p.dtype, device=p.device)


class _Iteration:
    """The bookkeeping of one synchronized backward pass."""

    __slots__ = ("remaining", "grads", "bucket_left", "next_bucket", "works", "delivered", "polled")

    def __init__(self, counts, buckets):
        self.remaining = counts
        self.grads = [None] * len(counts)
        self.bucket_left = [len(b.members) for b in buckets]
        self.next_bucket = 0
        self.works = [None] * len(buckets)
        self.delivered = [False] * len(counts)
        self.polled = 0  # buckets before this one have finished their all-reduce


def _tensors(obj, out):
    if hasattr(obj, "grad_fn") and hasattr(obj, "_data"):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)
    return out


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward`` averages its gradients across the processes of ``process_group``.

    At construction the parameters and buffers of group rank 0 are broadcast to
    every rank; with ``broadcast_buffers`` the buffers are broadcast again
    before each forward. Gradients are averaged in buckets of about
    ``bucket_cap_mb`` MB, overlapping backward (see the module docstring).
    Inside :meth:`no_sync` gradients only accumulate locally; the next
    synchronized backward averages the accumulated total. Parameters that get
    no gradient on a rank contribute zeros, so ``find_unused_parameters`` is
    accepted and never needed. The wrapped model is ``.module``; state dict keys
    carry the ``module.`` prefix, as in torch. ``device_ids``,
    ``output_device``, ``dim``, ``gradient_as_bucket_view`` and ``static_graph``
    are accepted for compatibility (gradients are always copied out of the
    buckets).

    Example:
        >>> import ember, ember.distributed as dist
        >>> from ember.nn.parallel import DistributedDataParallel as DDP
        >>> dist.init_process_group("gloo")                  # doctest: +SKIP
        >>> model = DDP(ember.nn.Linear(4, 2))               # doctest: +SKIP
        >>> model(ember.randn(8, 4)).sum().backward()        # doctest: +SKIP
        >>> list(model.state_dict())                         # doctest: +SKIP
        ['module.weight', 'module.bias']
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        self.module = module
        self.process_group = pg = dist._group.resolve(process_group, "DistributedDataParallel")
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._world = pg.size()
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._index = {id(p): i for i, p in enumerate(self._params)}
        self._sync_states(module.parameters())
        self._sync_states(module.buffers())
        self._buckets = self._make_buckets()
        self._place = {}  # param index -> (bucket, offset)
        for b in self._buckets:
            for i, off in zip(b.members, b.offsets):
                self._place[i] = (b, off)
        self._bucket_id = {id(b): k for k, b in enumerate(self._buckets)}
        self._pending = None  # the iteration whose backward is running
        self._last = None  # the iteration whose reduced gradients are being handed out
        self._grad_hooks = [p.register_hook(partial(self._deliver, i)) for i, p in enumerate(self._params)]

    # --- construction -----------------------------------------------------------------
    def _sync_states(self, tensors):
        for t in tensors:
            dist.broadcast(t, group=self.process_group, group_src=0)

    def _make_buckets(self):
        """Buckets of parameters in reverse order (the order backward produces them), one device and dtype each.

        As in torch the first bucket holds at most 1 MB, so that communication starts early in backward.
        """
        groups, cur, size, key = [], [], 0, None
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            k = (p.device, p.dtype)
            nbytes = p.numel() * p.element_size()
            cap = min(self.bucket_bytes_cap, _FIRST_BUCKET_BYTES) if not groups else self.bucket_bytes_cap
            if cur and (k != key or size + nbytes > cap):
                groups.append(cur)
                cur, size = [], 0
            cur.append(i)
            size += nbytes
            key = k
        if cur:
            groups.append(cur)
        return [_Bucket(g, self._params) for g in groups]

    # --- forward: find the nodes that feed each parameter -------------------------------
    def forward(self, *inputs, **kwargs):
        """Run the wrapped module (after broadcasting buffers) and arm the gradient reduction of its backward."""
        if self.broadcast_buffers:
            self._sync_states(self.module.buffers())
        out = self.module(*inputs, **kwargs)
        if _state.grad_enabled and self.require_backward_grad_sync and self._params and self._world > 1:
            self._arm(out)
        return out

    def _arm(self, out):
        """Count the graph edges into each parameter and hook the nodes they leave from.

        Several forwards before one backward add up into the same pending iteration. Parameters
        no graph reaches become ready only when backward ends (``_finish``), as zeros.
        """
        state = self._pending
        if state is None:
            state = self._pending = _Iteration([0] * len(self._params), self._buckets)
        counts, index = state.remaining, self._index
        stack = [t.grad_fn for t in _tensors(out, []) if t.grad_fn is not None]
        seen = set(stack)
        while stack:
            fn = stack.pop()
            feeds = None
            for k, edge in enumerate(fn.next):
                if edge is None:
                    continue
                target = edge[0]
                if isinstance(target, Op):
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
                else:
                    i = index.get(id(target))
                    if i is not None:
                        counts[i] += 1
                        if feeds is None:
                            feeds = []
                        feeds.append((k, i))
            if feeds:
                fn.register_hook(partial(self._collect, state, feeds))

    # --- backward: gather pieces, launch buckets in order, hand out the averages ---------
    def _collect(self, state, feeds, grad_inputs, grad_outputs):
        if state is not self._pending:
            return None
        for k, i in feeds:
            g = grad_inputs[k]
            if g is not None:
                prev = state.grads[i]
                state.grads[i] = g if prev is None else prev + g
            state.remaining[i] -= 1
            if state.remaining[i] == 0:
                self._ready(state, i)
        # MPI advances non-blocking collectives only inside MPI calls: poll the oldest one in flight
        while state.polled < state.next_bucket and state.works[state.polled].is_completed():
            state.polled += 1
        return None

    def _ready(self, state, i):
        k = self._bucket_id[id(self._place[i][0])]
        state.bucket_left[k] -= 1
        while state.next_bucket < len(self._buckets) and state.bucket_left[state.next_bucket] == 0:
            self._launch(state, state.next_bucket)

    def _launch(self, state, k):
        bucket = self._buckets[k]
        flat = bucket.flat._data
        for i, off in zip(bucket.members, bucket.offsets):
            p = self._params[i]
            g, old = state.grads[i], p.grad
            n = p.numel()
            if g is None and old is None:
                flat[off:off + n] = 0
                continue
            value = g._data if old is None else old._data if g is None else g._data + old._data
            flat[off:off + n] = bucket.flat._be.xp.reshape(value, (n,))
        state.works[k] = dist.all_reduce(bucket.flat, op=dist.ReduceOp.AVG, group=self.process_group, async_op=True)
        state.next_bucket = k + 1

    def _finish(self):
        """Launch what has not started (missing pieces count as zeros), wait for every bucket."""
        state, self._pending = self._pending, None
        while state.next_bucket < len(self._buckets):
            self._launch(state, state.next_bucket)
        for w in state.works:
            w.wait()
        for i, g in enumerate(state.grads):
            if g is None:  # no gradient reaches this parameter on this rank: set it here, no hook will
                self._params[i].grad = self._averaged(i)
                state.delivered[i] = True
        self._last = state

    def _averaged(self, i):
        bucket, off = self._place[i]
        p = self._params[i]
        return bucket.flat[off:off + p.numel()].view(p.shape).clone()

    def _deliver(self, i, grad):
        if self._pending is not None:
            self._finish()
        state = self._last
        if state is None or state.delivered[i]:
            return None
        state.delivered[i] = True
        # the bucket already holds the accumulated .grad plus this backward's gradient, averaged over ranks
        self._params[i].grad = None
        bucket, off = self._place[i]
        return bucket.flat[off:off + grad.numel()].view(grad.shape)

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context, backward accumulates gradients locally without communication.

        Example:
            >>> import ember
            >>> from ember.nn.parallel import DistributedDataParallel as DDP
            >>> ddp = DDP(ember.nn.Linear(2, 1))    # doctest: +SKIP
            >>> with ddp.no_sync():                 # doctest: +SKIP
            ...     ddp(ember.ones(1, 2)).sum().backward()
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
