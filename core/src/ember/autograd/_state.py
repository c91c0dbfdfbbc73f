"""Process-wide autograd switches, read on every op (kept as plain module globals for speed)."""

grad_enabled = True
anomaly = False
