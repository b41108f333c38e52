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
        name = self.path.name if self.path else "config"
        place = f"{name}:{line}" if line is not None else name
        return f"{place}: {dotted(loc)}" if loc else place

    def errors(self, exc: ValidationError, prefix: KeyPath = ()) -> str:
        """Turn a pydantic error into one line per problem, each with its line and key path."""
        return "; ".join(
            f"{self.where((*prefix, *error['loc']))}: {_message(error)}" for error in exc.errors()
        )


def dotted(location: Iterable[str | int]) -> str:
    """Spell a key path as the config file's reader thinks of it: server.port, devices.pad."""
    return ".".join(str(part) for part in location)


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    if error.get("type") == "extra_forbidden":
        return "unknown key"
    if "input" in error and error.get("type") != "missing":
        return f"{message} (got {error['input']!r})"
    return message


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
    message = str(exc)
    key, sep, rest = message.partition(": ")
    if not sep or " " in key:
        return ConfigError(f"{source.where(())}: {message}")
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
