"""Configuration file digests: single files, folders of CDI specs, extra files."""

from __future__ import annotations

import hashlib

import pytest

from kubedrift.agent.configfiles import file_facts
from kubedrift.agent.hostfs import HostFS
from kubedrift.agent.options import DEFAULT_FILES, ConfigFile
from kubedrift.model import InputError

from .conftest import MakeHost


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_folders_hash_each_file_and_binary_content_is_fine(make_host: MakeHost) -> None:
    root = make_host(
        {
            "/etc/cdi/nvidia.yaml": "kind: nvidia.com/gpu\n",
            "/etc/cdi/mellanox.json": "{}",
            "/etc/nvidia-container-runtime/config.toml": b"\xff\xfe binary\n",
        }
    )
    assert file_facts(HostFS(root), DEFAULT_FILES) == {
        "file.cdi-etc.mellanox.json.sha256": _sha(b"{}"),
        "file.cdi-etc.nvidia.yaml.sha256": _sha(b"kind: nvidia.com/gpu\n"),
        "file.nvidia-container-runtime-config.sha256": _sha(b"\xff\xfe binary\n"),
    }


def test_extra_files_from_the_command_line(make_host: MakeHost) -> None:
    root = make_host({"/etc/crio/crio.conf": "x"})
    spec = ConfigFile.parse("crio=/etc/crio/crio.conf")
    assert file_facts(HostFS(root), (spec,)) == {"file.crio.sha256": _sha(b"x")}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/etc/crio/crio.conf", "write ID=PATH"),
        ("Crio=/etc/crio.conf", "invalid file id 'Crio'"),
        ("crio=etc/crio.conf", "must be absolute"),
    ],
)
def test_bad_file_specs_are_input_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ConfigFile.parse(spec)
