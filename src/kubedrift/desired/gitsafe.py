"""What kubedrift lets reach `git`: checked revisions and URLs, a hardened config, no secrets out.

A `--desired` spec is user text that becomes git arguments, so four rules hold for every
git run (`kubedrift.desired.git`):

- **Revisions** are a hex SHA or a name git's own `check-ref-format` rules accept, and never
  start with `-` (so `@--upload-pack=CMD` cannot become an option of `git fetch`); URLs
  hold no control characters and no host or user that starts with `-` (CVE-2017-1000117).
  The callers also end options with `--end-of-options` before any user text.
- **Protocols**: `GIT_ALLOW_PROTOCOL=http:https:ssh:git:file`, the schemes a spec can name.
  That list replaces git's `protocol.*.allow` entirely, so `ext::` (which runs a command)
  and any other transport are refused, submodules included; `protocol.ext.allow=never`
  is set as well in case the variable is ever dropped.
- **Config** (`HARDENING`): hooks off (`core.hooksPath=/dev/null`), no fsmonitor command
  (`core.fsmonitor=false`, which a hostile repository's config could name), submodules
  never recursed into.
- **Secrets**: `redact()` hides the userinfo of every URL in a text (a token in
  `https://TOKEN@host/…` or `https://user:TOKEN@host/…`) before it reaches an error, a log
  line, a metric label or a finding's location. Credentials belong in the environment
  instead (`credentials_env`):

  `KUBEDRIFT_GIT_TOKEN` or `KUBEDRIFT_GIT_TOKEN_FILE` (e.g. a mounted Secret), with
  `KUBEDRIFT_GIT_USERNAME` (default `x-access-token`), answers git's HTTPS prompts through
  a `GIT_ASKPASS` helper written into a private (0700) temporary folder; the helper holds
  no secret, it reads the variable or file at git's request. `KUBEDRIFT_GIT_SSH_KEY_FILE`
  with `KUBEDRIFT_GIT_KNOWN_HOSTS_FILE` sets `GIT_SSH_COMMAND` to use that key and only
  those host keys (`StrictHostKeyChecking=yes`, `BatchMode=yes`).
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from kubedrift.model import InputError

ALLOWED_PROTOCOLS = "http:https:ssh:git:file"
HARDENING: tuple[str, ...] = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.ext.allow=never",
    "-c",
    "submodule.recurse=false",
)
"""`-c` options given before the subcommand of every git run."""

BASE_ENV: dict[str, str] = {
    "GIT_TERMINAL_PROMPT": "0",  # never prompt on a terminal: fail with git's message
    "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
    "GIT_PROTOCOL_FROM_USER": "0",
}

_HEX = re.compile(r"[0-9a-fA-F]{4,64}")
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
_MAX_REV = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]*)@")

TOKEN_ENV = "KUBEDRIFT_GIT_TOKEN"
TOKEN_FILE_ENV = "KUBEDRIFT_GIT_TOKEN_FILE"
USERNAME_ENV = "KUBEDRIFT_GIT_USERNAME"
SSH_KEY_ENV = "KUBEDRIFT_GIT_SSH_KEY_FILE"
KNOWN_HOSTS_ENV = "KUBEDRIFT_GIT_KNOWN_HOSTS_FILE"

_ASKPASS = """#!/bin/sh
# kubedrift's GIT_ASKPASS helper: holds no secret, reads it when git asks.
case "$1" in
  Username*) printf '%s\\n' "${KUBEDRIFT_GIT_USERNAME:-x-access-token}" ;;
  *) if [ -n "$KUBEDRIFT_GIT_TOKEN_FILE" ]; then head -n 1 -- "$KUBEDRIFT_GIT_TOKEN_FILE"
     else printf '%s\\n' "$KUBEDRIFT_GIT_TOKEN"; fi ;;
esac
"""


def check_revision(rev: str, where: str) -> str:
    """`rev` when it is a hex SHA or a valid ref name (git check-ref-format); else InputError.

    The rules are git's (`git help check-ref-format`): no `..`, `@{`, `//`, control
    characters, space or any of `~^:?*[\\`; no component starting with `.` or ending with
    `.lock`; not ending in `/` or `.`; not `@`. A leading `-` is refused as well: git would
    read it as an option.
    """
    if _HEX.fullmatch(rev) or _valid_ref(rev):
        return rev
    raise InputError(
        f"invalid revision {redact(rev)!r}: expected a branch, tag or commit SHA", where=where
    )


def _valid_ref(rev: str) -> bool:
    if not rev or len(rev) > _MAX_REV or rev.startswith(("-", "/")) or rev == "@":
        return False
    if _REF_FORBIDDEN.search(rev) or rev.endswith(("/", ".")):
        return False
    return all(
        part and not part.startswith(".") and not part.endswith(".lock") for part in rev.split("/")
    )


def check_url(url: str, where: str) -> str:
    """`url` unless it could be read as an option or smuggle a control character."""
    if _CONTROL.search(url):
        raise InputError("Git URL holds a control character", where=where)
    bare = url.split("://", 1)[-1]
    host = bare.rpartition("@")[2] if "@" in bare.split("/", 1)[0] else bare
    if url.startswith("-") or bare.startswith("-") or host.startswith("-"):
        raise InputError("Git URL must not start a user or host name with '-'", where=where)
    return url


def redact(text: str) -> str:
    """`text` with the userinfo of every `scheme://userinfo@` in it replaced by `***`.

    A user name alone is hidden too: hosts such as GitHub take a token as the user name.
    """
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


def redact_error(exc: InputError) -> InputError:
    """The same error with secrets hidden in its message and its `where`."""
    where = redact(exc.where) if exc.where else None
    return type(exc)(redact(exc.message), where=where)


@contextmanager
def credentials_env(environ: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """The environment for git runs: `BASE_ENV` plus credentials from the variables above."""
    source = os.environ if environ is None else environ
    env = dict(BASE_ENV)
    env.update(_ssh_env(source))
    if not (source.get(TOKEN_ENV) or source.get(TOKEN_FILE_ENV)):
        yield env
        return
    with tempfile.TemporaryDirectory(prefix="kubedrift-askpass-") as tmp:
        helper = Path(tmp) / "askpass"
        helper.write_text(_ASKPASS)
        helper.chmod(stat.S_IRWXU)  # the folder is 0700 (mkdtemp); the helper 0700 too
        env["GIT_ASKPASS"] = str(helper)
        yield env


def _ssh_env(source: Mapping[str, str]) -> dict[str, str]:
    key = source.get(SSH_KEY_ENV)
    if not key:
        return {}
    known_hosts = source.get(KNOWN_HOSTS_ENV)
    if not known_hosts:
        raise InputError(
            f"{SSH_KEY_ENV} needs {KNOWN_HOSTS_ENV}: host keys are never trusted on first use",
            where="Git credentials",
        )
    # GIT_SSH_COMMAND goes through a shell: quote the paths.
    command = [
        "ssh", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
        "-o", f"UserKnownHostsFile={known_hosts}", "-o", "BatchMode=yes",
    ]  # fmt: skip
    return {"GIT_SSH_COMMAND": shlex.join(command)}
