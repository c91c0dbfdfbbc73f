"""L-BFGS, with an optional strong-Wolfe line search.

The parameters are handled as one flat vector (a backend array); the history of
steps and gradient changes is kept in the state of the first parameter, like torch.
"""

from __future__ import annotations

from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, touch, wrap_like

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through two points with values ``f`` and slopes ``g``, clipped to ``bounds``."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square**0.5
    if x1 <= x2:
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(pos, lo), hi)


def _strong_wolfe(evaluate, dot, t, d, f, g, gtd, d_norm, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` along ``d`` meeting the strong Wolfe conditions: ``(f, g, t, evaluations)``.

    ``evaluate(t)`` returns the loss and flat gradient at ``x + t d``; ``dot`` is the flat dot product.
    """
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    # bracket an interval containing a point satisfying the conditions
    while ls_iter < max_ls:
        sufficient = not (f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev))
        if sufficient and abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if not sufficient or gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            # too close to an end: move away unless the last try already made progress
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS, torch's algorithm; ``step(closure)`` runs up to ``max_iter`` iterations.

    Args:
        params: the tensors to optimize (a single parameter group).
        lr: learning rate (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss change is below this (default 1e-9).
        history_size: number of stored correction pairs (default 100).
        line_search_fn: None (fixed step ``lr``) or ``"strong_wolfe"``.

    Example:
        >>> import ember
        >>> x = ember.tensor([1.5, -0.5], dtype=ember.float64, requires_grad=True)
        >>> opt = ember.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - 2.0) ** 2).sum() + (x[0] * x[1]) ** 2
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 4) for v in x.tolist()]
        [1.0079, 0.9921]
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        for p in self._params:
            if p.is_complex():
                raise NotImplementedError("LBFGS: complex parameters are not supported")

    # --- the parameters as one flat vector ----------------------------------------
    @property
    def _xp(self):
        return self._params[0]._be.xp

    def _gather_flat_grad(self):
        xp = self._xp
        parts = []
        for p in self._params:
            g = p.grad
            if g is None:
                parts.append(xp.zeros(p.numel(), dtype=p._data.dtype))
            else:
                parts.append(xp.reshape(g._data, (-1,)))
        return xp.concat(parts) if len(parts) > 1 else xp.asarray(parts[0], copy=True)

    def _add_grad(self, step, update):
        xp = self._xp
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += step * xp.reshape(update[offset:offset + n], tuple(p.shape))
            touch(p)
            offset += n

    def _clone_param(self):
        return [p._be.copy(p._data) for p in self._params]

    def _set_param(self, arrays):
        for p, a in zip(self._params, arrays):
            p._be.assign(p._data, a)
            touch(p)

    def _dot(self, a, b):
        return float(self._xp.sum(a * b))

    def _max_abs(self, a):
        return float(self._xp.max(self._xp.abs(a)))

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` must re-evaluate and return the loss.

        Example:
            >>> import ember
            >>> x = ember.tensor([3.0], dtype=ember.float64, requires_grad=True)
            >>> opt = ember.optim.LBFGS([x])
            >>> def closure():
            ...     opt.zero_grad(); loss = ((x - 1.0) ** 2).sum(); loss.backward(); return loss
            >>> opt.step(closure).item(), round(x.item(), 6)
            (4.0, 1.0)
        """
        with no_grad():
            return self._run(closure)

    def _run(self, closure):
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        xp = self._xp
        first = self._params[0]

        state = self.state[first]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if self._max_abs(flat_grad) <= tolerance_grad:
            return orig_loss

        def array(key):
            value = state.get(key)
            return value._data if value is not None else None

        d, prev_flat_grad = array("d"), array("prev_flat_grad")
        t, H_diag, prev_loss = state.get("t"), state.get("H_diag"), state.get("prev_loss")
        old_dirs = [v._data for v in state.get("old_dirs", [])]
        old_stps = [v._data for v in state.get("old_stps", [])]
        ro = list(state.get("ro", []))
        opt_cond = False

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the search direction: steepest descent first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = self._dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / self._dot(y, y)
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = self._dot(old_stps[i], q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = self._dot(old_dirs[i], d) * ro[i]
                    d = d + (al[i] - be_i) * old_stps[i]
            prev_flat_grad = xp.asarray(flat_grad, copy=True)
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.sum(xp.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = self._dot(flat_grad, d)
            if gtd > -tolerance_change:
                break

            evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def evaluate(step, x_init=x_init, d=d):
                    self._add_grad(step, d)
                    value = float(closure())
                    grad = self._gather_flat_grad()
                    self._set_param(x_init)
                    return value, grad

                loss, flat_grad, t, evals = _strong_wolfe(evaluate, self._dot, t, d, loss, flat_grad, gtd,
                                                          self._max_abs(d), max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = self._max_abs(flat_grad) <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = self._max_abs(flat_grad) <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if self._max_abs(d * t) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break

        def tensor(a):
            return None if a is None else wrap_like(first, xp.reshape(a, (-1,)))

        state.update(d=tensor(d), t=t, old_dirs=[tensor(a) for a in old_dirs], old_stps=[tensor(a) for a in old_stps],
                     ro=ro, H_diag=H_diag, prev_flat_grad=tensor(prev_flat_grad), prev_loss=prev_loss)
        return orig_loss
