"""Process-wide autograd switches, read on every op (kept as plain module globals for speed)."""

grad_enabled = True
inference = False  # inside an enabled ``inference_mode`` block
anomaly = False  # record forward stacks on nodes; add them to backward errors
anomaly_check_nan = True  # with ``anomaly``: raise when a backward produces NaN
saved_hooks = None  # ``(pack, unpack)`` of the innermost ``graph.saved_tensors_hooks``, or None (read on every recorded op)
