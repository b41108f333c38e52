"""Load and check the bridge's YAML configuration; every error names its key."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mqtt_bridge.adapters import (
    GenericDevice,
    HermesSpeaker,
    ShellySwitch,
    Speaker,
    Switch,
    TasmotaSwitch,
    TopicSpeaker,
    Zigbee2MqttDevice,
)
from mqtt_bridge.adapters.base import Adapter
from mqtt_bridge.adapters.speakers import HomeAssistantSpeaker
from mqtt_bridge.adapters.tasmota import DEFAULT_FULL_TOPIC
from mqtt_bridge.errors import ConfigError
from mqtt_bridge.safety import QuietHours, SafetyLimits
from mqtt_bridge.yaml_source import keyed_error, load_yaml
from routines.routine import Routine, RoutineError, builtin_routines, load_routines

ENV_CONFIG = "RECOVERY_COACH_CONFIG"
ENV_PASSWORD = "RECOVERY_COACH_MQTT_PASSWORD"
HOME_ID = re.compile(r"^[a-z0-9_-]+$")
DISCOVERY_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*$")
BRIDGE_KEYS = frozenset(
    {
        "home",
        "broker",
        "devices",
        "safety",
        "timer_database",
        "timezone",
        "homeassistant",
        "routines_dir",
    }
)
# The skill's settings may share the file (one RECOVERY_COACH_CONFIG for the whole product).
SKILL_KEYS = frozenset(
    {"skill_id", "database", "certificate_timeout_s", "server", "user_homes", "home_timeout_s"}
)
EMBEDDED = "embedded"
EMBEDDED_DEFAULT = "embedded://127.0.0.1:1883"


class Role(StrEnum):
    HEATING_PAD = "heating_pad"
    BATH_VALVE = "bath_valve"
    BATH_TEMPERATURE = "bath_temperature"
    BATH_LEVEL = "bath_level"
    LEAK_SENSOR = "leak_sensor"
    SPEAKER = "speaker"


SWITCH_ROLES = frozenset({Role.HEATING_PAD, Role.BATH_VALVE})
SENSOR_ROLES = frozenset({Role.BATH_TEMPERATURE, Role.BATH_LEVEL, Role.LEAK_SENSOR})


@dataclass(frozen=True)
class BrokerConfig:
    """Where and how to connect to MQTT."""

    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str | None = None
    keepalive: int = 30
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def __post_init__(self) -> None:
        if self.url == EMBEDDED:
            object.__setattr__(self, "url", EMBEDDED_DEFAULT)
        shown = redact_url(self.url)  # the only form of the URL an error may quote
        usage = "must be mqtt://host:port, mqtts://host:port, embedded or embedded://host:port"
        try:
            parts = urlsplit(self.url)
        except ValueError:
            raise ConfigError(f"broker.url: {shown!r} is not a valid URL: it {usage}") from None
        try:
            parts.port  # noqa: B018 - parsing the port validates it
        except ValueError:
            raise ConfigError(f"broker.url: bad port in {shown!r}") from None
        if parts.scheme not in ("mqtt", "mqtts", "embedded") or not parts.hostname:
            raise ConfigError(f"broker.url: {shown!r} {usage}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigError(
                f"broker.url: {shown!r} {usage} (percent-encode '/', '?' and '#' in a password)"
            )
        if "@" in parts.netloc:
            # user:password@ in the URL: used unless given apart, and never kept in the URL.
            if self.username is None:
                object.__setattr__(self, "username", unquote(parts.username or "") or None)
                if self.password is None and parts.password is not None:
                    object.__setattr__(self, "password", unquote(parts.password))
            host = parts.netloc.rpartition("@")[2]
            object.__setattr__(self, "url", f"{parts.scheme}://{host}")
        if not 5 <= self.keepalive <= 3600:
            raise ConfigError("broker.keepalive: must be 5 to 3600 seconds")
        if (self.cert_file is None) != (self.key_file is None):
            raise ConfigError("broker.cert_file and broker.key_file: give both or neither")

    @property
    def embedded(self) -> bool:
        """Tell whether the bridge runs its own private Mosquitto."""
        return urlsplit(self.url).scheme == "embedded"

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)


def redact_url(url: str) -> str:
    """Hide the user and password of a broker URL, however malformed the URL is."""
    # Everything before the last '@' may be credentials (a password may itself hold '/' or '@').
    head, at, host = url.rpartition("@")
    if not at:
        return url
    scheme, separator, _ = head.partition("://")
    return f"{scheme}://***@{host}" if separator else f"***@{host}"


@dataclass(frozen=True)
class Device:
    """A named device with its role and adapter."""

    name: str
    role: Role
    adapter: Adapter | Speaker


@dataclass(frozen=True)
class BridgeConfig:
    """The whole bridge configuration."""

    home: str
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    devices: tuple[Device, ...] = ()
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    database: Path = field(default_factory=lambda: default_timer_database())
    timezone: ZoneInfo | None = None
    homeassistant: bool = True
    discovery_prefix: str = "homeassistant"
    # "device": one discovery message for the whole bridge (Home Assistant 2024.11+);
    # "entity": one per entity, for older Home Assistant.
    discovery_mode: str = "device"
    routines: Mapping[str, Routine] = field(default_factory=builtin_routines)

    def __post_init__(self) -> None:
        if not HOME_ID.match(self.home):
            raise ConfigError(f"home: {self.home!r} must match [a-z0-9_-]+")
        if not DISCOVERY_PREFIX.match(self.discovery_prefix):
            # Wildcards, empty levels or a leading slash: nothing could ever be published there.
            raise ConfigError(
                f"homeassistant.discovery_prefix: {self.discovery_prefix!r} cannot be published "
                "to (use topic levels of letters, digits, '_' or '-', such as 'homeassistant')"
            )
        if self.discovery_mode not in ("device", "entity"):
            raise ConfigError(
                f"homeassistant.discovery: {self.discovery_mode!r} must be 'device' "
                "(Home Assistant 2024.11+) or 'entity' (older)"
            )
        roles = [device.role for device in self.devices]
        for role in set(roles):
            if roles.count(role) > 1:
                raise ConfigError(f"devices: only one device may have role {role.value}")

    def device(self, role: Role) -> Device | None:
        """Return the device with a role, if one is configured."""
        return next((device for device in self.devices if device.role is role), None)

    def switch(self, role: Role) -> Switch | None:
        """Return the switch adapter for a role."""
        device = self.device(role)
        return device.adapter if device is not None else None  # type: ignore[return-value]


def default_timer_database() -> Path:
    """Return the timer database's default place, following the XDG base directory convention."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "recovery-coach" / "bridge.sqlite3"


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> BridgeConfig:
    """Read the bridge configuration from `path` or $RECOVERY_COACH_CONFIG."""
    env = os.environ if env is None else env
    if path is None:
        if not env.get(ENV_CONFIG):
            raise ConfigError(f"no configuration: pass --config FILE or set {ENV_CONFIG}")
        path = Path(env[ENV_CONFIG])
    source = load_yaml(path)
    try:
        return parse_config(source.document, env, base=path.parent)
    except ConfigError as exc:
        # "flat.yaml:12: devices.pad.adapter.relay: must be ...": the line, then the key path.
        raise keyed_error(source, exc) from None


def parse_config(document: Any, env: Mapping[str, str], base: Path = Path()) -> BridgeConfig:
    """Build the configuration from a parsed YAML document."""
    top = _mapping(document, "(top level)")
    _known(top, "", set(BRIDGE_KEYS | SKILL_KEYS))
    if "home" not in top:
        raise ConfigError("home: is required (an id such as 'flat_3b')")
    ha = _mapping(top.get("homeassistant") or {}, "homeassistant")
    _known(ha, "homeassistant.", {"enabled", "discovery_prefix", "discovery"})
    raw_database = top.get("timer_database")
    database = Path(str(raw_database)).expanduser() if raw_database else default_timer_database()
    broker = parse_broker(top.get("broker") or {}, env, base)
    return BridgeConfig(
        home=str(top["home"]),
        broker=broker,
        devices=_with_tokens(
            _with_rpc_source(_devices(top.get("devices") or {}), str(top["home"]), broker), env
        ),
        safety=parse_safety(top.get("safety") or {}),
        database=database if database.is_absolute() else base / database,
        timezone=parse_timezone(top.get("timezone")),
        homeassistant=_flag(ha.get("enabled", True), "homeassistant.enabled"),
        discovery_prefix=str(ha.get("discovery_prefix", "homeassistant")),
        discovery_mode=str(ha.get("discovery", "device")),
        routines=_routines(top.get("routines_dir"), base),
    )


def _routines(raw: Any, base: Path) -> dict[str, Routine]:
    folder = None
    if raw is not None:
        folder = Path(str(raw)).expanduser()
        folder = folder if folder.is_absolute() else base / folder
    try:
        return load_routines(folder)
    except RoutineError as exc:
        raise ConfigError(f"routines_dir: {exc}") from None


def parse_broker(raw: Any, env: Mapping[str, str], base: Path) -> BrokerConfig:
    broker = _mapping(raw, "broker")
    _known(
        broker,
        "broker.",
        {
            "url",
            "username",
            "password",
            "client_id",
            "keepalive",
            "ca_file",
            "cert_file",
            "key_file",
        },
    )

    def path(key: str) -> Path | None:
        value = broker.get(key)
        if value is None:
            return None
        resolved = Path(str(value)).expanduser()
        resolved = resolved if resolved.is_absolute() else base / resolved
        if not resolved.is_file():
            raise ConfigError(f"broker.{key}: {resolved} does not exist")
        return resolved

    password = env.get(ENV_PASSWORD) or broker.get("password")
    return BrokerConfig(
        url=str(broker.get("url", "mqtt://127.0.0.1:1883")),
        username=_optional_str(broker.get("username")),
        password=str(password) if password is not None else None,
        client_id=_optional_str(broker.get("client_id")),
        keepalive=_int(broker.get("keepalive", 30), "broker.keepalive"),
        ca_file=path("ca_file"),
        cert_file=path("cert_file"),
        key_file=path("key_file"),
    )


ADAPTERS: dict[str, tuple[frozenset[Role], Callable[[Mapping[str, Any]], Any], set[str]]] = {
    "tasmota": (
        SWITCH_ROLES,
        lambda a: TasmotaSwitch(
            str(a["topic"]),
            _opt_int(a.get("relay"), "adapter.relay"),
            str(a.get("full_topic", DEFAULT_FULL_TOPIC)),
        ),
        {"topic", "relay", "full_topic"},
    ),
    "shelly": (
        SWITCH_ROLES,
        lambda a: ShellySwitch(str(a["device_id"]), _int(a.get("switch", 0), "adapter.switch")),
        {"device_id", "switch"},
    ),
    "zigbee2mqtt": (
        SWITCH_ROLES | SENSOR_ROLES,
        lambda a: Zigbee2MqttDevice(
            str(a["friendly_name"]),
            str(a.get("base_topic", "zigbee2mqtt")),
            _auto_off_command(a.get("auto_off")),
        ),
        {"friendly_name", "base_topic", "auto_off"},
    ),
    "generic": (
        SWITCH_ROLES | SENSOR_ROLES,
        lambda a: GenericDevice(**{k: str(v) for k, v in a.items() if v is not None}),  # type: ignore[arg-type]
        {
            "state_topic",
            "command_topic",
            "payload_on",
            "payload_off",
            "state_on",
            "state_off",
            "value_path",
            "temperature_path",
            "wet_path",
            "availability_topic",
            "payload_available",
            "payload_not_available",
        },
    ),
    "hermes": (
        frozenset({Role.SPEAKER}),
        lambda a: HermesSpeaker(str(a.get("site_id", "default")), _optional_str(a.get("lang"))),
        {"site_id", "lang"},
    ),
    "topic": (frozenset({Role.SPEAKER}), lambda a: TopicSpeaker(str(a["topic"])), {"topic"}),
    "homeassistant": (
        frozenset({Role.SPEAKER}),
        lambda a: HomeAssistantSpeaker(
            url=str(a["url"]),
            token_env=str(a["token_env"]),
            media_player=str(a["media_player"]),
            tts_entity=_optional_str(a.get("tts_entity")),
            service=str(a.get("service", "tts.speak")),
            timeout_s=_number(a.get("timeout_s", 10), "adapter.timeout_s"),
        ),
        {"url", "token_env", "media_player", "tts_entity", "service", "timeout_s"},
    ),
}


def _with_tokens(devices: tuple[Device, ...], env: Mapping[str, str]) -> tuple[Device, ...]:
    """Give each Home Assistant speaker its token, read from the variable its config names."""
    given = []
    for device in devices:
        adapter = device.adapter
        if isinstance(adapter, HomeAssistantSpeaker):
            token = env.get(adapter.token_env, "").strip()
            if not token:
                raise ConfigError(
                    f"devices.{device.name}.adapter.token_env: {adapter.token_env} is not set "
                    "(export a Home Assistant long-lived access token in it)"
                )
            device = dataclasses.replace(device, adapter=dataclasses.replace(adapter, token=token))
        given.append(device)
    return tuple(given)


def _devices(raw: Any) -> tuple[Device, ...]:
    devices = []
    for name, entry in _mapping(raw, "devices").items():
        where = f"devices.{name}"
        spec = _mapping(entry, where)
        _known(spec, f"{where}.", {"role", "adapter"})
        try:
            role = Role(str(spec.get("role")))
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise ConfigError(f"{where}.role: must be one of {roles}") from None
        adapter = _mapping(spec.get("adapter"), f"{where}.adapter")
        kind = str(adapter.get("type"))
        if kind not in ADAPTERS:
            raise ConfigError(f"{where}.adapter.type: must be one of {', '.join(ADAPTERS)}")
        allowed_roles, build, keys = ADAPTERS[kind]
        if role not in allowed_roles:
            raise ConfigError(f"{where}.adapter.type: a {kind} adapter cannot be a {role.value}")
        fields = {k: v for k, v in adapter.items() if k != "type"}
        _known(fields, f"{where}.adapter.", keys)
        try:
            built = build(fields)
        except KeyError as exc:
            raise ConfigError(f"{where}.adapter.{exc.args[0]}: is required") from None
        except ConfigError as exc:
            raise ConfigError(f"{where}.{exc}") from None
        if role in SWITCH_ROLES and isinstance(built, GenericDevice) and not built.command_topic:
            raise ConfigError(f"{where}.adapter.command_topic: a {role.value} needs one")
        if role not in SWITCH_ROLES and "auto_off" in fields:
            raise ConfigError(
                f"{where}.adapter.auto_off: only a heating_pad or bath_valve switches off"
            )
        devices.append(Device(str(name), role, built))
    return tuple(devices)


def _auto_off_command(raw: Any) -> str:
    # YAML reads `auto_off: off` (or `no`) as false: that means none too.
    return "none" if raw is None or raw is False else str(raw)


def parse_safety(raw: Any) -> SafetyLimits:
    safety = _mapping(raw, "safety")
    _known(safety, "safety.", {"heat", "bath", "confirm_timeout_s"})
    heat = _mapping(safety.get("heat") or {}, "safety.heat")
    _known(
        heat, "safety.heat.", {"default_minutes", "max_minutes", "min_gap_minutes", "quiet_hours"}
    )
    bath = _mapping(safety.get("bath") or {}, "safety.bath")
    _known(
        bath,
        "safety.bath.",
        {"min_c", "max_c", "default_c", "tub_litres", "flow_litres_per_minute", "fill_max_minutes"},
    )
    fields: dict[str, Any] = {}
    for key in ("default_minutes", "max_minutes", "min_gap_minutes"):
        if key in heat:
            fields[f"heat_{key}"] = _int(heat[key], f"safety.heat.{key}")
    if "quiet_hours" in heat:
        fields["quiet_hours"] = _quiet_hours(heat["quiet_hours"])
    for key in ("min_c", "max_c", "default_c"):
        if key in bath:
            fields[f"bath_{key}"] = _number(bath[key], f"safety.bath.{key}")
    for key in ("tub_litres", "flow_litres_per_minute"):
        if key in bath:
            fields[key] = _number(bath[key], f"safety.bath.{key}")
    if "fill_max_minutes" in bath:
        fields["fill_max_minutes"] = _int(bath["fill_max_minutes"], "safety.bath.fill_max_minutes")
    if "confirm_timeout_s" in safety:
        fields["confirm_timeout_s"] = _number(
            safety["confirm_timeout_s"], "safety.confirm_timeout_s"
        )
    return SafetyLimits(**fields)


def _quiet_hours(raw: Any) -> QuietHours | None:
    if raw is None or raw is False:
        return None
    hours = _mapping(raw, "safety.heat.quiet_hours")
    _known(hours, "safety.heat.quiet_hours.", {"start", "end"})
    try:
        return QuietHours(
            time.fromisoformat(str(hours["start"])), time.fromisoformat(str(hours["end"]))
        )
    except KeyError as exc:
        raise ConfigError(f"safety.heat.quiet_hours.{exc.args[0]}: is required") from None
    except ValueError as exc:
        raise ConfigError(f"safety.heat.quiet_hours: times must be HH:MM ({exc})") from None


def parse_timezone(raw: Any) -> ZoneInfo | None:
    if raw is None:
        return None
    try:
        return ZoneInfo(str(raw))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone: {raw!r} is not an IANA time zone like Europe/London"
        ) from None


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: must be a mapping of keys")
    return value


def _known(section: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    unknown = set(map(str, section)) - allowed
    if unknown:
        expected = ", ".join(sorted(allowed))
        raise ConfigError(f"{prefix}{sorted(unknown)[0]}: unknown key (expected one of {expected})")


def _flag(value: Any, key: str) -> bool:
    # YAML's own true/false only: "false" in quotes must not switch something on.
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: must be true or false, got {value!r}")
    return value


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: must be a whole number, got {value!r}")
    return value


def _opt_int(value: Any, key: str) -> int | None:
    return None if value is None else _int(value, key)


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: must be a number, got {value!r}")
    return float(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def bridge_client_id(home: str, broker: BrokerConfig) -> str:
    """Return the bridge's MQTT client id: `broker.client_id`, or one named after the home."""
    return broker.client_id or f"recovery-coach-bridge-{home}"


def _with_rpc_source(
    devices: tuple[Device, ...], home: str, broker: BrokerConfig
) -> tuple[Device, ...]:
    """Make the bridge's client id the RPC src of its Shelly devices, which reply on <src>/rpc.

    The broker lets only one client at a time use a client id, so no two bridges on a broker
    share a src; and, unlike a random one, it can be named in an ACL.
    """
    if broker.client_id is None and not HOME_ID.match(home):
        return devices  # the home's own check names the problem
    source = bridge_client_id(home, broker)
    try:
        return tuple(
            replace(device, adapter=replace(device.adapter, source=source))
            if isinstance(device.adapter, ShellySwitch)
            else device
            for device in devices
        )
    except ConfigError:
        raise ConfigError(
            f"broker.client_id: {source!r} is the Shelly RPC src, so it must be one topic level"
        ) from None
