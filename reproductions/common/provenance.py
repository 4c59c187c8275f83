"""Where a number came from: code version, packages, hardware, time."""
from __future__ import annotations

import datetime
import functools
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

from reproductions.common import tf_runtime

REPO_ROOT = Path(__file__).resolve().parents[2]


def is_source_checkout() -> bool:
    """True when the package runs from its source tree (a clone, an editable
    install), False when it was installed into site-packages."""
    return (REPO_ROOT / "setup.cfg").is_file() and (REPO_ROOT / "reproductions").is_dir()


def project_root() -> Path:
    """Where ``results/`` and ``../shared/data`` are looked for: the source
    tree, or the working directory when the package is installed (then
    ``REPO_ROOT`` is site-packages)."""
    return REPO_ROOT if is_source_checkout() else Path.cwd()

_PACKAGES = ("tensorflow", "keras", "tensorflow-datasets", "numpy", "scikit-learn",
             "scikit-image", "scikit-activeml", "pywavelets", "opencv-python-headless",
             "matplotlib")


@functools.lru_cache(maxsize=None)
def git_commit() -> dict:
    """The commit the code was run from, and whether the tree was dirty.

    Dirty means: a tracked file changed, or an untracked (and not ignored)
    file exists, anywhere but under ``results/`` -- an untracked module runs
    as much as a tracked one, while ``results/`` is what the runs write.
    Read once per process (at the first call, made when a run starts), so a
    commit made while a long run trains does not relabel its results.
    """
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=10, check=False)
    try:
        head = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=all", "--", ".",
                     ":(exclude)results")
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": "unknown", "dirty": None}
    if head.returncode != 0:
        return {"commit": "unknown", "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def package_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_models() -> list[str]:
    import tensorflow as tf  # only when a run is recorded
    out = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
            out.append(details.get("device_name", device.name))
        except Exception:  # noqa: BLE001 - best effort description
            out.append(device.name)
    return out


def hardware() -> dict:
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "gpu": gpu_models(),
            "platform": platform.platform(),
            # TensorFlow's oneDNN switch (tf_runtime.prefer_onednn)
            "tf_enable_onednn_opts": os.environ.get(tf_runtime.ONEDNN)}


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def collect(command: list[str] | None = None) -> dict:
    """Everything about this process that a result needs next to it."""
    return {
        **git_commit(),
        "packages": package_versions(),
        "hardware": hardware(),
        "command": " ".join(command if command is not None else sys.argv),
        "time": now(),
    }
