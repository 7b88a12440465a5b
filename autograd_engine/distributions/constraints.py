"""``distributions.constraints`` (``torch.distributions.constraints``): the sets that parameters
and samples must lie in. ``check(value)`` returns a bool Tensor (one entry per event), used by
``validate_args``."""

from __future__ import annotations

from ..tensor import Tensor

__all__ = [
    "Constraint",
    "boolean",
    "greater_than",
    "independent",
    "integer_interval",
    "interval",
    "less_than",
    "lower_cholesky",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "real",
    "real_vector",
    "simplex",
    "symmetric",
    "unit_interval",
    "dependent",
    "dependent_property",
    "is_dependent",
]


def _array(value):
    return value.array if isinstance(value, Tensor) else value


def _result(value) -> Tensor:
    from ..array_backend import ensure_array

    return Tensor._make(ensure_array(value))


class Constraint:
    """A region of valid values: ``check(value)`` is a bool Tensor over the batch dimensions
    (``event_dim`` rightmost dimensions make up one event)."""

    is_discrete = False
    event_dim = 0

    def check(self, value) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.__class__.__name__[1:] + "()"


class _Dependent(Constraint):
    """A placeholder for constraints that depend on other parameters (not checked)."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    @property
    def is_discrete(self) -> bool:
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, x):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` depends on other parameters (and so is not checked)."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property of a distribution that is also a dependent constraint (``support`` of a
    distribution whose support depends on its parameters)."""

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _Real(Constraint):
    def check(self, value):
        v = _array(value)
        return _result(v == v)  # not NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        v = _array(value)
        return _result((v == 0) | (v == 1))


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return _result(_array(self.lower_bound) < _array(value))

    def __repr__(self):
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return _result(_array(value) < _array(self.upper_bound))

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = _array(value)
        return _result((_array(self.lower_bound) <= v) & (v <= _array(self.upper_bound)))

    def __repr__(self):
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        v = _array(value)
        ok = (v % 1 == 0) & (_array(self.lower_bound) <= v) & (v <= _array(self.upper_bound))
        return _result(ok)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        v = _array(value)
        return _result((v % 1 == 0) & (v >= self.lower_bound))

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        v = _array(value)
        return _result(((v == 0) | (v == 1)).all(-1) & (v.sum(-1) == 1))


class _IndependentConstraint(Constraint):
    """``base_constraint`` over events of ``reinterpreted_batch_ndims`` more dimensions."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        ok = _array(self.base_constraint.check(value))
        n = self.reinterpreted_batch_ndims
        if ok.ndim < n:
            raise ValueError(
                f"Expected value.dim() >= {self.event_dim} but got {_array(value).ndim}"
            )
        if n:
            ok = ok.reshape(ok.shape[: ok.ndim - n] + (-1,)).all(-1)
        return _result(ok)

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        v = _array(value)
        xp = _xp(v)
        return _result((v >= 0).all(-1) & (xp.abs(v.sum(-1) - 1) < 1e-6))


class _Symmetric(Constraint):
    event_dim = 2

    def check(self, value):
        v = _array(value)
        xp = _xp(v)
        if v.ndim < 2 or v.shape[-1] != v.shape[-2]:
            return _result(xp.zeros(v.shape[:-2], dtype=bool))
        close = xp.isclose(v, xp.swapaxes(v, -1, -2), atol=1e-6)
        return _result(close.all(-2).all(-1))


class _PositiveDefinite(_Symmetric):
    def check(self, value):
        sym = _array(super().check(value))
        if not bool(sym.all()):
            return _result(sym)
        v = _array(value)
        xp = _xp(v)
        flat = v.reshape((-1,) + v.shape[-2:])
        ok = []
        for m in flat:  # NOTE: one factorization per matrix, as cholesky_ex reports per matrix
            try:
                factor = xp.linalg.cholesky(m)
                ok.append(not bool(xp.isnan(factor).any()))
            except Exception:
                ok.append(False)
        return _result(xp.asarray(ok, dtype=bool).reshape(v.shape[:-2]))


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        v = _array(value)
        xp = _xp(v)
        lower = (xp.tril(v) == v).reshape(v.shape[:-2] + (-1,)).all(-1)
        positive_diagonal = (xp.diagonal(v, axis1=-2, axis2=-1) > 0).all(-1)
        return _result(lower & positive_diagonal)


def _xp(a):
    from ..array_backend import get_array_module

    return get_array_module(a)


# Public constraints, as PyTorch names them
dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
one_hot = _OneHot()
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
greater_than = _GreaterThan
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
simplex = _Simplex()
symmetric = _Symmetric()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
