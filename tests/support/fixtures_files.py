"""Small files several test folders write: a token kubeconfig, and the Deployment
generator of `make bench` (bench/gen_deployments.py) loaded as a module."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

GEN_DEPLOYMENTS = Path(__file__).parents[2] / "bench" / "gen_deployments.py"


def token_kubeconfig(path: Path, namespace: str | None) -> Path:
    """A kubeconfig of one context "c" (server https://127.0.0.1:1, a static token), with
    `namespace` as its namespace when given; parent folders are made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    context = {"cluster": "c", "user": "u"} | ({"namespace": namespace} if namespace else {})
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "contexts": [{"name": "c", "context": context}],
                "users": [{"name": "u", "user": {"token": "t"}}],
            }
        )
    )
    return path


def deployments_generator() -> ModuleType:
    """bench/gen_deployments.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("gen_deployments", GEN_DEPLOYMENTS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_deployments", module)
    spec.loader.exec_module(module)
    return module
