"""The bounded sandbox every message template runs in (previews, queueing, sends, letters): Jinja's
immutable sandbox plus bounded work per render (issue #7 item 4, DESIGN §8).

- Output: the rendered text is counted while it is produced (streamed, and every captured block, macro
  and ``~`` join) and the render stops once it is longer than ``max_output`` characters.
- Values: an operation that would build a value longer than ``max_output`` is refused *before* it runs
  (``'a' * N``, ``a + b``, ``range(N)``, ``10 ** N``, printf/format widths, filters and ``str`` methods
  that pad, repeat or replace), and every call's result is checked after it.
- Time: a deadline of ``max_seconds`` is checked in the sandbox's hooks and in every ``for`` loop (no
  thread is killed: the render itself stops). It is elapsed time, not business time (``time.monotonic``).

A refused render raises :class:`LimitExceeded`; ``render`` turns it into InvalidInput naming the line.
"""

from __future__ import annotations

import re
import string
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator

from jinja2 import nodes, pass_context
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

RANGE_MAX = 100_000  # Jinja's own sandbox limit for range(); never loosened
ITER_FILTER, CONCAT_FILTER = "_bounded_iter", "_bounded_concat"
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class LimitExceeded(Exception):
    """A render went over one of its limits (the message says which)."""


@dataclass(frozen=True)
class Limits:
    """Per render: the longest output (characters) and the longest time (seconds)."""

    max_output: int = 1_000_000
    max_seconds: float = 5.0

    @classmethod
    def of(cls, settings: Any) -> "Limits":
        return cls(max_output=settings.template_max_output, max_seconds=settings.template_max_seconds)


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.ticks = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"the template takes longer than {self.limits.max_seconds:g} s to render "
                                "(template_max_seconds)")

    def size(self, n: int, what: str = "a value") -> None:
        if n > self.limits.max_output:
            raise LimitExceeded(f"{what} would be {n:,} characters long, more than the limit of "
                                f"{self.limits.max_output:,} (template_max_output)")


_current: ContextVar[_Budget | None] = ContextVar("arcollect_render_budget", default=None)


def _budget() -> _Budget:
    budget = _current.get()
    return budget if budget is not None else _Budget(Limits())  # outside bounded(): the default limits


@contextmanager
def bounded(limits: Limits) -> Iterator[None]:
    """Renders inside this block share one budget: its deadline starts now."""
    token = _current.set(_Budget(limits))
    try:
        yield
    finally:
        _current.reset(token)


def stream(template: Any, **values: Any) -> str:
    """Render ``template`` chunk by chunk, stopping as soon as the output is over the limit."""
    budget = _budget()
    parts, total = [], 0
    for chunk in template.generate(**values):
        total += len(chunk)
        budget.size(total, "the rendered message")
        budget.tick()
        parts.append(chunk)
    return "".join(parts)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) else 0


def _int_digits(value: int) -> int:
    return int(abs(value).bit_length() * 0.302) + 1


def _check_printf(budget: _Budget, fmt: str, args: Any) -> None:
    values = list(args) if isinstance(args, tuple) else [args]
    for width, precision in _PRINTF.findall(fmt):
        for part in (width, precision):
            if part == "*":
                star = next((v for v in values if isinstance(v, int)), 0)
                budget.size(abs(star), "a formatted field")
            elif part:
                budget.size(int(part) if len(part) < 12 else 10 ** 12, "a formatted field")


def _check_format_string(budget: _Budget, fmt: str) -> None:
    for _, _, spec, _ in string.Formatter().parse(fmt):
        if spec and "{" in spec:
            raise LimitExceeded("nested format fields ({:{width}}) are not allowed in a template")
        for number in re.findall(r"\d+", spec or ""):
            budget.size(int(number) if len(number) < 12 else 10 ** 12, "a formatted field")


def _replaced_size(text: str, old: str, new: str, count: int | None = None) -> int:
    hits = (len(text) + 1) if not old else text.count(old)
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _check_str_method(budget: _Budget, obj: Any, args: tuple, kwargs: dict) -> None:
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        budget.size(args[0], f"str.{name}()")
    elif name == "expandtabs":
        width = args[0] if args else kwargs.get("tabsize", 8)
        budget.size(len(owner) + owner.count("\t") * max(int(width), 0), "str.expandtabs()")
    elif name == "replace" and len(args) >= 2:
        budget.size(_replaced_size(owner, str(args[0]), str(args[1]), args[2] if len(args) > 2 else None),
                    "str.replace()")
    elif name == "join" and args and hasattr(args[0], "__len__"):
        budget.size(len(owner) * max(len(args[0]) - 1, 0), "str.join()")


def _binop_size(budget: _Budget, operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            budget.size(_int_digits(left) + _int_digits(right), "a number")
        elif isinstance(right, int) and isinstance(left, (str, bytes, list, tuple)):
            budget.size(len(left) * max(right, 0))
        elif isinstance(left, int) and isinstance(right, (str, bytes, list, tuple)):
            budget.size(len(right) * max(left, 0))
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        budget.size(int(right * (abs(left).bit_length() - 1) * 0.302) + 1, "a number")
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        budget.size(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        _check_printf(budget, left, right)


# ---- filters: pre-checks for the ones that can build much more than they are given --------------
def _pre_filter(name: str, budget: _Budget, args: tuple, kwargs: dict) -> None:
    value = args[0] if args else ""

    def arg(i: int, key: str, default: Any) -> Any:
        return args[i] if len(args) > i else kwargs.get(key, default)

    if name == "center":
        width = arg(1, "width", 80)
        budget.size(width if isinstance(width, int) else 0, "center")
    elif name == "indent":
        width = arg(1, "width", 4)
        w = width if isinstance(width, int) else len(str(width))
        text = str(value)
        budget.size(len(text) + max(w, 0) * (text.count("\n") + 1), "indent")
    elif name == "replace":
        count = arg(3, "count", None)
        budget.size(_replaced_size(str(value), str(arg(1, "old", "")), str(arg(2, "new", "")), count), "replace")
    elif name == "join":
        sep = str(arg(1, "d", ""))
        n = len(value) if hasattr(value, "__len__") else 0
        budget.size(len(sep) * max(n - 1, 0), "join")
    elif name in ("batch", "slice"):
        count = arg(1, "linecount" if name == "batch" else "slices", 1)
        budget.size(count if isinstance(count, int) else 0, name)
    elif name == "wordwrap":
        wrap = arg(4, "wrapstring", None)
        text = str(value)
        budget.size(len(text) + len(str(wrap or "\n")) * (len(text) + 1) if wrap else len(text) * 2, "wordwrap")
    elif name == "format":
        _check_printf(budget, str(value), tuple(args[1:]) or kwargs)
    elif name == "sum":
        start = arg(2, "start", 0)
        if not isinstance(start, (int, float)):
            raise LimitExceeded("sum adds numbers only")


def _guarded_filter(name: str, func: Any) -> Any:
    import functools

    from jinja2.utils import _PassArg

    passes = _PassArg.from_obj(func)

    head = 1 if passes is not None else 0  # a context / eval context / environment comes first

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        if name == "join" and len(args) > head and not hasattr(args[head], "__len__"):
            args = (*args[:head], list(args[head]), *args[head + 1:])
        _pre_filter(name, budget, args[head:], kwargs)
        result = func(*args, **kwargs)
        budget.size(_size(result), f"the result of |{name}")
        return result

    return guarded


@pass_context
def _bounded_iter(context: Any, iterable: Any) -> Iterator[Any]:
    budget = _budget()
    for n, item in enumerate(iterable):
        if not n & 255:
            budget.tick()
        yield item


@pass_context
def _bounded_concat(context: Any, parts: list[Any]) -> str:
    budget = _budget()
    budget.tick()
    texts = [p if isinstance(p, str) else str(p) for p in parts]
    budget.size(sum(len(t) for t in texts), "a ~ join")
    return markup_join(parts) if context.eval_ctx.autoescape else str_join(parts)


class _Guard(NodeTransformer):
    """Every ``for`` loop iterates through a deadline check; every ``~`` join is size-checked."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, ITER_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, [], [], None, None,
                            lineno=node.lineno)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the limits above; ``bounded(limits)`` around a render sets them."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # generates text of any size; no message needs it
        self.globals["range"] = self._range
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}
        self.filters[ITER_FILTER] = _bounded_iter
        self.filters[CONCAT_FILTER] = _bounded_concat
        self.concat = self._concat  # type: ignore[method-assign]  # captured blocks, macros, filter blocks

    def add_filter(self, name: str, func: Any) -> None:
        self.filters[name] = _guarded_filter(name, func)

    @staticmethod
    def _range(*args: int) -> range:
        rng = range(*args)
        if len(rng) > RANGE_MAX:
            raise LimitExceeded(f"range() of {len(rng):,} items, more than {RANGE_MAX:,}")
        _budget().size(len(rng), "range()")
        return rng

    @staticmethod
    def _concat(parts: Any) -> str:
        budget = _budget()
        out, total = [], 0
        for part in parts:
            total += len(part)
            budget.size(total, "a block of the template")
            out.append(part)
        return "".join(out)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Guard().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.tick()
        _binop_size(budget, operator, left, right)
        result = super().call_binop(context, operator, left, right)
        budget.size(_size(result))
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = _budget()
        budget.tick()
        _check_str_method(budget, __obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        budget.size(_size(result), f"the result of {getattr(__obj, '__name__', 'a call')}()")
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        _budget().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _budget().tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Any:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            budget = _budget()
            _check_format_string(budget, fmt)
            result = wrapper(*args, **kwargs)
            budget.size(len(result), "str.format()")
            return result

        return checked
