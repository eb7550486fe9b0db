"""Seeded identifiers and timestamps in the formats Kubernetes and EC2 use.

Every function draws from the `random.Random` it is given, never from global state,
so one seed always yields the same names, uids and addresses.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

# The alphabet of Kubernetes generated name suffixes (`k8s.io/apimachinery/pkg/util/rand`).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def new_uid(rng: random.Random) -> str:
    """A random (version 4) UUID, as the apiserver assigns to `metadata.uid`."""
    h = f"{rng.getrandbits(128) & _VERSION_MASK | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex_id(rng: random.Random, length: int) -> str:
    """`length` lowercase hex digits."""
    return f"{rng.getrandbits(length * 4):0{length}x}"


def name_suffix(rng: random.Random, length: int = 5) -> str:
    """A generated-name suffix such as `x7k2p` (ReplicaSet hashes use length 10)."""
    n = rng.randrange(len(_SUFFIX_ALPHABET) ** length)  # one draw instead of `length`
    chars = []
    for _ in range(length):
        n, digit = divmod(n, len(_SUFFIX_ALPHABET))
        chars.append(_SUFFIX_ALPHABET[digit])
    return "".join(chars)


def digest(text: str) -> str:
    """A stable `sha256:` digest derived from `text` (image digests, not secrets)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with second precision, as `metav1.Time` serializes."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"  # 1.6x faster than strftime


def before(now: datetime, rng: random.Random, low: float, high: float) -> datetime:
    """A moment between `high` and `low` seconds before `now` (whole seconds)."""
    return now - timedelta(seconds=int(rng.uniform(low, high)))


class Counter:
    """Monotonic `resourceVersion`s: one etcd revision per object, with small gaps."""

    def __init__(self, rng: random.Random, start: int = 1_000_000) -> None:
        self._rng = rng
        self._value = start

    def next(self) -> str:
        """The next resourceVersion, as the string the API returns."""
        self._value += self._rng.randint(1, 9)
        return str(self._value)


class AddressPlan:
    """Unique private IPv4 addresses per zone (one /11 of 10.0.0.0/8 each) and pod CIDRs."""

    def __init__(self, rng: random.Random, zones: tuple[str, ...]) -> None:
        self._rng = rng
        self._base = {zone: 16 + 32 * i for i, zone in enumerate(zones)}
        self._next = dict.fromkeys(zones, 256)
        self._nodes = 0

    def node_ip(self, zone: str) -> str:
        """The next node address in `zone`, never ending in .0 or .255."""
        host = self._next[zone] + self._rng.randint(1, 3)
        if host & 255 in (0, 255):
            host += 2
        self._next[zone] = host
        octet2 = self._base[zone] + (host >> 16)
        return f"10.{octet2}.{(host >> 8) & 255}.{host & 255}"

    def pod_cidr(self) -> str:
        """The next node /24 out of 100.64.0.0/10 (room for 16,384 nodes)."""
        index = self._nodes
        self._nodes += 1
        if index >= 1 << 14:
            raise ValueError("more than 16,384 nodes do not fit 100.64.0.0/10")
        return f"100.{64 + (index >> 8)}.{index & 255}.0/24"


def pod_ip(pod_cidr: str, index: int) -> str:
    """The `index`-th pod address of a node's /24 (from .2; .1 is the gateway)."""
    prefix = pod_cidr.rsplit(".", 1)[0]
    return f"{prefix}.{2 + index % 250}"
