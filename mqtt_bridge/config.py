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
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

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
from mqtt_bridge.protocol import HOME_ID
from mqtt_bridge.safety import QuietHours, SafetyLimits
from mqtt_bridge.yaml_source import KeyPath, YamlSource, keyed_error, load_yaml, message
from routines.routine import Routine, RoutineError, builtin_routines, load_routines

ENV_CONFIG = "RECOVERY_COACH_CONFIG"
ENV_PASSWORD = "RECOVERY_COACH_MQTT_PASSWORD"
DISCOVERY_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*$")
# The skill's settings may share the file (one RECOVERY_COACH_CONFIG for the whole product).
SKILL_KEYS = frozenset(
    {
        "skill_id",
        "database",
        "certificate_timeout_s",
        "server",
        "user_homes",
        "home_timeout_s",
        "runners",
    }
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
    # "flat.yaml:12: devices.pad.adapter.relay: must be ...": the line, then the key path.
    return parse_config(source.document, env, base=path.parent, source=source)


def parse_config(
    document: Any, env: Mapping[str, str], base: Path = Path(), source: YamlSource | None = None
) -> BridgeConfig:
    """Build the configuration from a parsed YAML document."""
    source = source or YamlSource(document)
    if not isinstance(document, Mapping):
        raise keyed_error(source, ConfigError("the top level must be a mapping of keys"))
    # The skill's keys share the file; the skill's own model checks them.
    own = {key: value for key, value in document.items() if key not in SKILL_KEYS}
    model = _validate(_BridgeFile, own, source)
    try:
        return model.build(env, base)
    except ConfigError as exc:
        raise keyed_error(source, exc) from None


def parse_broker(
    raw: Any, env: Mapping[str, str], base: Path, source: YamlSource | None = None
) -> BrokerConfig:
    """Build the broker settings from the `broker` section."""
    return _section(_Broker, raw, source, "broker", lambda m: m.build(env, base))


def parse_safety(raw: Any, source: YamlSource | None = None) -> SafetyLimits:
    """Build the safety limits from the `safety` section."""
    return _section(_Safety, raw, source, "safety", lambda m: m.build())


def parse_timezone(raw: Any, source: YamlSource | None = None) -> ZoneInfo | None:
    """Return the `timezone` setting's zone, or None when it is not set."""
    try:
        return _zone(raw)
    except ConfigError as exc:
        raise keyed_error(source or YamlSource({}), exc) from None


Section = TypeVar("Section", bound=BaseModel)
Built = TypeVar("Built")


def _section(
    model: type[Section],
    raw: Any,
    source: YamlSource | None,
    key: str,
    build: Callable[[Section], Built],
) -> Built:
    source = source or YamlSource({})
    checked = _validate(model, {} if raw is None else raw, source, (key,))
    try:
        return build(checked)
    except ConfigError as exc:
        raise keyed_error(source, exc) from None


def _validate(model: type[Section], raw: Any, source: YamlSource, prefix: KeyPath = ()) -> Section:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        found = [_problem(prefix, error) for error in exc.errors()]
        raise ConfigError(source.problems(found)) from None


def _yaml_path(loc: KeyPath) -> KeyPath:
    """Drop the adapter type pydantic puts in the path of a tagged union: it is no YAML key."""
    if len(loc) > 3 and loc[0] == "devices" and loc[2] == "adapter" and loc[3] in ADAPTER_TYPES:
        return (*loc[:3], *loc[4:])
    return loc


def _problem(prefix: KeyPath, error: ErrorDetails) -> tuple[KeyPath, str]:
    loc = _yaml_path((*prefix, *error["loc"]))
    kinds = ", ".join(ADAPTER_TYPES)
    if error["type"] == "union_tag_not_found":
        return (*loc, "type"), f"is required (one of {kinds})"
    if error["type"] == "union_tag_invalid":
        return (*loc, "type"), f"must be one of {kinds}"
    if loc[-1:] == ("[key]",):
        # A key YAML read as a number (`7:`): name it as it is written.
        return (*loc[:-2], str(loc[-2])), f"the key {message(error)}"
    return loc, message(error)


def _zone(raw: Any) -> ZoneInfo | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ConfigError(f"timezone: must be an IANA time zone like Europe/London, got {raw!r}")
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone: {raw!r} is not an IANA time zone like Europe/London"
        ) from None


def _resolve(raw: str, base: Path) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else base / path


class _Strict(BaseModel):
    """A config section: exact YAML types, no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid")


class _Broker(_Strict):
    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    client_id: str | None = None
    keepalive: int = 30
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def build(self, env: Mapping[str, str], base: Path) -> BrokerConfig:
        def path(key: str) -> Path | None:
            value = getattr(self, key)
            if value is None:
                return None
            resolved = _resolve(value, base)
            if not resolved.is_file():
                raise ConfigError(f"broker.{key}: {resolved} does not exist")
            return resolved

        return BrokerConfig(
            url=self.url,
            username=self.username,
            password=env.get(ENV_PASSWORD) or self.password,
            client_id=self.client_id,
            keepalive=self.keepalive,
            ca_file=path("ca_file"),
            cert_file=path("cert_file"),
            key_file=path("key_file"),
        )


class _QuietHours(_Strict):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"times must be HH:MM in quotes, got {value!r}") from None
        return value

    def build(self) -> QuietHours:
        return QuietHours(time.fromisoformat(self.start), time.fromisoformat(self.end))


class _Heat(_Strict):
    default_minutes: int | None = None
    max_minutes: int | None = None
    min_gap_minutes: int | None = None
    quiet_hours: _QuietHours | None = None

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        # `quiet_hours: off` (YAML's false) turns them off, as null does.
        return None if value is False else value


class _Bath(_Strict):
    min_c: float | None = None
    max_c: float | None = None
    default_c: float | None = None
    tub_litres: float | None = None
    flow_litres_per_minute: float | None = None
    fill_max_minutes: int | None = None


class _Safety(_Strict):
    heat: _Heat | None = None
    bath: _Bath | None = None
    confirm_timeout_s: float | None = None

    def build(self) -> SafetyLimits:
        heat = self.heat or _Heat()
        bath = self.bath or _Bath()
        given: dict[str, Any] = {
            "heat_default_minutes": heat.default_minutes,
            "heat_max_minutes": heat.max_minutes,
            "heat_min_gap_minutes": heat.min_gap_minutes,
            "bath_min_c": bath.min_c,
            "bath_max_c": bath.max_c,
            "bath_default_c": bath.default_c,
            "tub_litres": bath.tub_litres,
            "flow_litres_per_minute": bath.flow_litres_per_minute,
            "fill_max_minutes": bath.fill_max_minutes,
            "confirm_timeout_s": self.confirm_timeout_s,
        }
        fields = {key: value for key, value in given.items() if value is not None}
        if "quiet_hours" in heat.model_fields_set:
            fields["quiet_hours"] = heat.quiet_hours.build() if heat.quiet_hours else None
        return SafetyLimits(**fields)


class _HomeAssistant(_Strict):
    enabled: bool = True
    discovery_prefix: str = "homeassistant"
    discovery: str = "device"


class _Adapter(_Strict):
    """One adapter `type`: the roles it can play and the runtime adapter it builds."""

    roles: ClassVar[frozenset[Role]] = SWITCH_ROLES

    def build(self) -> object:
        raise NotImplementedError


class _Tasmota(_Adapter):
    type: Literal["tasmota"]
    topic: str
    relay: int | None = None
    full_topic: str = DEFAULT_FULL_TOPIC

    def build(self) -> TasmotaSwitch:
        return TasmotaSwitch(self.topic, self.relay, self.full_topic)


class _Shelly(_Adapter):
    type: Literal["shelly"]
    device_id: str
    switch: int = 0

    def build(self) -> ShellySwitch:
        return ShellySwitch(self.device_id, self.switch)


class _Zigbee2Mqtt(_Adapter):
    roles: ClassVar[frozenset[Role]] = SWITCH_ROLES | SENSOR_ROLES
    type: Literal["zigbee2mqtt"]
    friendly_name: str
    base_topic: str = "zigbee2mqtt"
    auto_off: str = "none"

    @field_validator("auto_off", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        # YAML reads `auto_off: off` (or `no`) as false: that means none too.
        if value is None or value is False:
            return "none"
        if not isinstance(value, str):
            raise ValueError("must be on_time, countdown or none")
        return value

    def build(self) -> Zigbee2MqttDevice:
        return Zigbee2MqttDevice(self.friendly_name, self.base_topic, self.auto_off)


class _Generic(_Adapter):
    roles: ClassVar[frozenset[Role]] = SWITCH_ROLES | SENSOR_ROLES
    type: Literal["generic"]
    state_topic: str
    command_topic: str | None = None
    payload_on: str | None = None
    payload_off: str | None = None
    state_on: str | None = None
    state_off: str | None = None
    value_path: str | None = None
    temperature_path: str | None = None
    wet_path: str | None = None
    availability_topic: str | None = None
    payload_available: str | None = None
    payload_not_available: str | None = None

    def build(self) -> GenericDevice:
        return GenericDevice(**self.model_dump(exclude={"type"}, exclude_none=True))


class _Hermes(_Adapter):
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SPEAKER})
    type: Literal["hermes"]
    site_id: str = "default"
    lang: str | None = None

    def build(self) -> HermesSpeaker:
        return HermesSpeaker(self.site_id, self.lang)


class _TopicSpeaker(_Adapter):
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SPEAKER})
    type: Literal["topic"]
    topic: str

    def build(self) -> TopicSpeaker:
        return TopicSpeaker(self.topic)


class _HomeAssistantSpeaker(_Adapter):
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SPEAKER})
    type: Literal["homeassistant"]
    url: str
    token_env: str
    media_player: str
    tts_entity: str | None = None
    service: str = "tts.speak"
    timeout_s: float = 10

    def build(self) -> HomeAssistantSpeaker:
        # The token itself is read from the environment later, by the device's name.
        return HomeAssistantSpeaker(
            url=self.url,
            token_env=self.token_env,
            media_player=self.media_player,
            tts_entity=self.tts_entity,
            service=self.service,
            timeout_s=self.timeout_s,
        )


AdapterSection = Annotated[
    _Tasmota | _Shelly | _Zigbee2Mqtt | _Generic | _Hermes | _TopicSpeaker | _HomeAssistantSpeaker,
    Field(discriminator="type"),
]
ADAPTER_TYPES = (
    "tasmota",
    "shelly",
    "zigbee2mqtt",
    "generic",
    "hermes",
    "topic",
    "homeassistant",
)


class _Device(_Strict):
    # A role is written as its name: the enum takes the YAML string.
    role: Annotated[Role, Field(strict=False)]
    adapter: AdapterSection

    def build(self, name: str) -> Device:
        where = f"devices.{name}.adapter"
        spec = self.adapter
        if self.role not in spec.roles:
            raise ConfigError(f"{where}.type: a {spec.type} adapter cannot be a {self.role.value}")
        try:
            built = spec.build()
        except ConfigError as exc:
            raise ConfigError(f"devices.{name}.{exc}") from None
        if (
            self.role in SWITCH_ROLES
            and isinstance(built, GenericDevice)
            and not built.command_topic
        ):
            raise ConfigError(f"{where}.command_topic: a {self.role.value} needs one")
        if self.role not in SWITCH_ROLES and "auto_off" in spec.model_fields_set:
            raise ConfigError(f"{where}.auto_off: only a heating_pad or bath_valve switches off")
        # The frozen adapters' read-only fields do not match the protocols' plain attributes.
        return Device(name, self.role, cast("Adapter | Speaker", built))


class _BridgeFile(_Strict):
    home: str
    broker: _Broker | None = None
    devices: dict[str, _Device] | None = None
    safety: _Safety | None = None
    timer_database: str | None = None
    timezone: str | None = None
    homeassistant: _HomeAssistant | None = None
    routines_dir: str | None = None

    def build(self, env: Mapping[str, str], base: Path) -> BridgeConfig:
        broker = (self.broker or _Broker()).build(env, base)
        devices = _one_per_role(
            tuple(device.build(name) for name, device in (self.devices or {}).items())
        )
        ha = self.homeassistant or _HomeAssistant()
        database = self.timer_database
        return BridgeConfig(
            home=self.home,
            broker=broker,
            devices=_with_tokens(_with_rpc_source(devices, self.home, broker), env),
            safety=(self.safety or _Safety()).build(),
            database=_resolve(database, base) if database else default_timer_database(),
            timezone=_zone(self.timezone),
            homeassistant=ha.enabled,
            discovery_prefix=ha.discovery_prefix,
            discovery_mode=ha.discovery,
            routines=_routines(self.routines_dir, base),
        )


BRIDGE_KEYS = frozenset(_BridgeFile.model_fields)


def _one_per_role(devices: tuple[Device, ...]) -> tuple[Device, ...]:
    first: dict[Role, str] = {}
    for device in devices:
        if device.role in first:
            raise ConfigError(
                f"devices.{device.name}.role: only one device may have role "
                f"{device.role.value} (devices.{first[device.role]} has it)"
            )
        first[device.role] = device.name
    return devices


def _routines(raw: str | None, base: Path) -> dict[str, Routine]:
    try:
        return load_routines(None if raw is None else _resolve(raw, base))
    except RoutineError as exc:
        raise ConfigError(f"routines_dir: {exc}") from None


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
