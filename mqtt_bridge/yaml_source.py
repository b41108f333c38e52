"""Read a YAML config keeping where each key was written, to name the line in every error."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mqtt_bridge.errors import ConfigError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSource:
    """A parsed document and the line (1-based) of every key and list item in it."""

    document: Any
    path: Path | None = None
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def where(self, location: Iterable[str | int]) -> str:
        """Return 'file:line: key.path' for a location, as near as the file tells."""
        loc = tuple(location)
        line = None
        for end in range(len(loc), 0, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                break
        if self.path is None and line is None:
            # A document given as data, not read from a file: the key path alone says where.
            return dotted(loc) if loc else "config"
        name = self.path.name if self.path else "config"
        place = f"{name}:{line}" if line is not None else name
        return f"{place}: {dotted(loc)}" if loc else place

    def errors(self, exc: ValidationError, prefix: KeyPath = ()) -> str:
        """Turn a pydantic error into one line per problem, each with its line and key path."""
        return self.problems(((*prefix, *error["loc"]), message(error)) for error in exc.errors())

    def problems(self, found: Iterable[tuple[KeyPath, str]]) -> str:
        """Join problems, each as 'file:line: key.path: message'."""
        return "; ".join(f"{self.where(loc)}: {text}" for loc, text in found)


def dotted(location: Iterable[str | int]) -> str:
    """Spell a key path as the config file's reader thinks of it: server.port, devices.pad."""
    return ".".join(str(part) for part in location)


# Keys whose values may hold a secret (a password, or a URL with one): never quoted back.
SECRET_KEYS = frozenset({"broker", "password", "token", "url"})
PLAIN = {
    "missing": "is required",
    "extra_forbidden": "unknown key",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be a string",
    "dict_type": "must be a mapping of keys",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "list_type": "must be a list",
}
SECTION_TYPES = frozenset({"dict_type", "model_type", "model_attributes_type", "list_type"})


def message(error: Mapping[str, Any]) -> str:
    """Say what is wrong in plain words, quoting the value only where no secret can be in it."""
    kind = error.get("type")
    text = PLAIN.get(str(kind)) or str(error["msg"])
    if kind == "value_error":
        text = text.removeprefix("Value error, ")
    if text.startswith("Input should be "):
        text = "must be " + text.removeprefix("Input should be ")
    # A whole section given as a string may be a URL with its password: never quote one.
    if kind in ("missing", "extra_forbidden") or "input" not in error or kind in SECTION_TYPES:
        return text
    value = error["input"]
    secret = any(part in SECRET_KEYS for part in error.get("loc", ()))
    # A mapping or a list may hold anything, a password included: say only what it is.
    if secret or isinstance(value, Mapping | list | tuple):
        return text
    return f"{text}, got {value!r}"


def load_yaml(path: Path) -> YamlSource:
    """Read a YAML file; every problem reading it is a ConfigError naming the file."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path | None = None) -> YamlSource:
    """Parse YAML text, keeping each key's line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # Not str(exc): PyYAML quotes the offending line, which may hold the broker password.
        raise ConfigError(f"{path or 'config'}: not valid YAML: {yaml_problem(exc)}") from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlSource(document, path, lines)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Say what is wrong with a YAML text and where, without quoting it."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "it does not parse"
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def keyed_error(source: YamlSource, exc: ConfigError) -> ConfigError:
    """Put the file and line in front of an error that starts with its key path."""
    text = str(exc)
    key, sep, rest = text.partition(": ")
    if not sep or " " in key:
        place = source.where(())
        return ConfigError(text if source.path is None else f"{place}: {text}")
    return ConfigError(f"{source.where(key.split('.'))}: {rest}")


def _walk(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            lines[(*at, name)] = key.start_mark.line + 1
            _walk(value, (*at, name), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*at, index)] = item.start_mark.line + 1
            _walk(item, (*at, index), lines)
