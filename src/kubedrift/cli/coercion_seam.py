"""The one place that touches typer's option-value coercion: str, Path and Enum without pydantic.

typer >= 0.2x converts every option and argument value through a pydantic `TypeAdapter`,
built on first use (`typer._coercion.build_runtime_param`), and builds one even for an
option left at None — importing pydantic and `importlib.metadata` costs a `kubedrift
version` or `diff` about 30% of its start-up (issue 18.5). For the values a command line
gives to the parameters kubedrift has, typer's adapters only call its own helpers:

- any parameter given no value: `RuntimeParam.coerce` returns None or `()` before the
  adapter is asked (that part of typer's class is inherited here unchanged);
- `str` given a str: `_parse_cli_str` returns it, pydantic's str validation keeps it;
- `Path` given a str: pydantic makes `Path(value)`, then `_param_types.coerce_cli_path`
  checks exists/file/dir/… (called here with that Path, exactly as typer's adapter calls it;
  a ValueError it raises, which pydantic would word, goes to typer's adapter);
- an Enum given a str or one of its members (a default): `_param_types.coerce_cli_choice`;
  a value that is not one of the choices goes to typer's own adapter, so the error message
  is typer's word for word.

Every other case (numbers, lists, tuples, bools given as text, custom parsers, files) and
any of the above given a value of another type goes to the runtime param typer builds, built
on first need: behaviour is typer's. `install()` replaces `typer.core.build_runtime_param`
with `build_runtime_param` below only after checking each internal it relies on is there and
shaped as expected; if typer changed one, it leaves typer alone (`disabled()` says why), which
tests/cli/test_coercion_seam.py turns into a failure naming typer's version.
"""

from __future__ import annotations

import inspect
from enum import Enum
from pathlib import Path
from typing import Any

SEAM = "src/kubedrift/cli/coercion_seam.py"

_STATE: dict[str, Any] = {"disabled": "not installed yet"}
"""typer's `build_runtime_param` as found ("original"), the seam's class ("light"), and why
typer's own coercion is in use ("disabled", None once the seam is installed)."""


def disabled() -> str | None:
    """Why typer's own coercion is in use: None when the seam is installed."""
    reason: str | None = _STATE["disabled"]
    return reason


def install() -> None:
    """Route typer's runtime coercion through `build_runtime_param` (once; idempotent)."""
    if "light" in _STATE:
        return
    try:
        core, light = _light_class()
    except (ImportError, AttributeError, TypeError, ValueError) as err:
        _STATE["disabled"] = f"{type(err).__name__}: {err}"
        return
    _STATE.update(original=core.build_runtime_param, light=light, disabled=None)
    core.build_runtime_param = build_runtime_param


def build_runtime_param(descriptor: Any) -> Any:
    """typer's runtime param for `descriptor`, or the seam's for a str/Path/Enum/any value-less
    parameter; typer calls it once per parameter, when the parameter first gets a value."""
    original = _STATE["original"]
    if descriptor.file_annotation is not None or descriptor.parameter_info.parser is not None:
        return original(descriptor)
    light: Any = _STATE["light"]
    return light(descriptor, original)


def _kind(annotation: Any, parameter_info: Any) -> str:
    """Which of the seam's cases `annotation` is: "str", "path", "enum", or "" (only None)."""
    if annotation is str:
        return "str"
    if annotation is Path and parameter_info.path_type in (None, Path):
        return "path"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "enum"
    return ""


def _light_class() -> tuple[Any, type[Any]]:
    """typer.core and a `RuntimeParam` subclass, after checking every internal used is there."""
    from typer import _coercion, _param_types, core

    runtime_param = _coercion.RuntimeParam
    names = {f.name for f in getattr(runtime_param, "__dataclass_fields__", {}).values()}
    if not {"parameter_info", "annotation"} <= names:
        raise TypeError(f"typer._coercion.RuntimeParam fields are {sorted(names)}")
    for method in ("coerce", "_coerce_value"):
        if not callable(getattr(runtime_param, method, None)):
            raise AttributeError(f"typer._coercion.RuntimeParam has no {method}")
    if not callable(core.build_runtime_param):  # type: ignore[attr-defined]
        raise TypeError("typer.core.build_runtime_param is not callable")
    getter = core._TyperParameter.get_runtime_param
    if "build_runtime_param" not in getter.__code__.co_names:
        raise ValueError("typer.core._TyperParameter.get_runtime_param no longer calls it")
    for descriptor_field in ("annotation", "parameter_info", "file_annotation"):
        if descriptor_field not in _coercion.TypeDescriptor.__dataclass_fields__:
            raise TypeError(f"typer._coercion.TypeDescriptor has no field {descriptor_field}")
    coerce_path = _param_types.coerce_cli_path
    coerce_choice = _param_types.coerce_cli_choice
    _expect_parameters(coerce_path, "value", "parameter_info", "path_type", "param", "ctx")
    _expect_parameters(coerce_choice, "value", "choices", "case_sensitive", "ctx")

    class LightRuntimeParam(runtime_param):  # type: ignore[misc,valid-type]
        """typer's `RuntimeParam` for str/Path/Enum values given as str; the rest is typer's."""

        def __init__(self, descriptor: Any, original: Any) -> None:
            info = descriptor.parameter_info
            super().__init__(parameter_info=info, annotation=descriptor.annotation)
            # not dataclass fields: a frozen dataclass lets a subclass set other attributes
            self._descriptor = descriptor
            self._original = original
            self._typers: Any = None
            self._kind = "" if info.parser is not None else _kind(descriptor.annotation, info)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind, text = self._kind, type(value) is str
            if kind == "str" and text:
                return value
            if kind == "path" and text:
                try:
                    return coerce_path(
                        Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx
                    )
                except ValueError:
                    pass  # (a NUL in the name) pydantic words it: typer's adapter, again
            if kind == "enum" and (text or isinstance(value, self.annotation)):
                try:
                    return coerce_choice(
                        value,
                        choices=list(self.annotation),
                        case_sensitive=self.parameter_info.case_sensitive,
                        ctx=ctx,
                    )
                except ValueError:
                    pass  # typer's adapter words the error
            if self._typers is None:
                self._typers = self._original(self._descriptor)
            return self._typers._coerce_value(value, param=param, ctx=ctx)

    return core, LightRuntimeParam


def _expect_parameters(function: Any, *names: str) -> None:
    found = set(inspect.signature(function).parameters)
    if not set(names) <= found:
        raise TypeError(f"{function.__module__}.{function.__name__} takes {sorted(found)}")
