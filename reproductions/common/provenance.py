"""Where a number came from: code version, packages, hardware, time."""
from __future__ import annotations

import datetime
import functools
import hashlib
import importlib.metadata
import json
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


def keras_backend() -> str:
    """The Keras backend of this process: ``tensorflow`` unless Keras was
    imported with another (``KERAS_BACKEND``)."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else "tensorflow"


def gpu_models() -> list[str]:
    """The GPUs the Keras backend of this process sees (TensorFlow is
    imported only for its own backend)."""
    backend = keras_backend()
    if backend == "jax":
        import jax
        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch
        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
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


# --- per run: the sessions it trained in, its data, its profile -------------
SESSIONS_FILE = "provenance_sessions.json"
# What trains a network: a change under these paths between a run's first and
# last session may change what it computes (Markdown is prose, results/ output).
CODE_PATHS = ("layers", "reproductions", "tfds_builders", "setup.cfg")
UNKNOWN = "unknown"  # a fact that was not recorded and cannot be derived
# Fields every stored run's provenance carries (``compare --check``):
RUN_FIELDS = ("sessions", "commit_span", "data", "profile")
_PROCESS = f"{os.getpid()}-{datetime.datetime.now().timestamp():.6f}"  # this process


def session() -> dict:
    """This process as one session of a run: its code version and CPU."""
    return {**git_commit(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "time": now(), "process": _PROCESS}


def log_session(run_dir: Path) -> list[dict]:
    """Appends this process to ``run_dir``'s session log (once per process)
    and returns the log: every session the run was started or resumed in,
    first to last. The log lives beside the run's checkpoints, so it
    survives exactly as long as what it describes."""
    path = Path(run_dir) / SESSIONS_FILE
    try:
        sessions = json.loads(path.read_text())
    except (OSError, ValueError):
        sessions = []
    if not any(s.get("process") == _PROCESS for s in sessions):
        sessions.append(session())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(sessions, indent=1))
        os.replace(tmp, path)
    return sessions


def code_changed(first: str, last: str) -> bool | str:
    """Whether the training code (``CODE_PATHS``, Markdown left out) differs
    between two commits; ``UNKNOWN`` when git cannot tell."""
    if UNKNOWN in (first, last):
        return UNKNOWN
    if first == last:
        return False
    try:
        diff = subprocess.run(["git", "diff", "--quiet", first, last, "--", *CODE_PATHS,
                               ":(exclude)*.md"], cwd=REPO_ROOT, capture_output=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return UNKNOWN
    return {0: False, 1: True}.get(diff.returncode, UNKNOWN)


def commit_span(sessions: list[dict]) -> dict:
    """The first and last commit a run trained under, and whether the
    training code changed in between (a resumed run)."""
    first = sessions[0].get("commit", UNKNOWN) if sessions else UNKNOWN
    last = sessions[-1].get("commit", UNKNOWN) if sessions else UNKNOWN
    return {"first": first, "last": last, "training_code_changed": code_changed(first, last),
            "dirty": any(s.get("dirty") for s in sessions)}


def ids_sha256(ids, labels) -> str:
    """sha256 of the sorted ``id<TAB>label`` lines of a split's examples: what
    a split is, beyond its dataset's name and version
    (``data.split_ids_sha256``, the portable bundles)."""
    lines = sorted(f"{i}\t{int(l)}" for i, l in zip(ids, labels))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def sha256_json(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def profile_identity(profile_json: dict, protocol: dict) -> dict:
    """The profile a run belongs to: its name and a hash of its protocol
    fields (``results.protocol_fields``)."""
    return {"name": profile_json.get("name"), "protocol_sha256": sha256_json(protocol)}


def data_identity(datasets: dict) -> dict:
    """Per role: the dataset, builder config and version, and the hash of
    each split's example ids and labels (``data.split_ids_sha256``)."""
    return {role: {"name": d.get("name"), "config": d.get("config"),
                   "version": d.get("version", UNKNOWN),
                   "split_ids_sha256": d.get("split_ids_sha256", UNKNOWN)}
            for role, d in datasets.items()}


def run_fields(sessions: list[dict], datasets: dict, profile_json: dict,
               protocol: dict) -> dict:
    """What a finished run adds to its ``provenance`` (``RUN_FIELDS``)."""
    return {"sessions": [{k: v for k, v in s.items() if k != "process"} for s in sessions],
            "commit_span": commit_span(sessions), "data": data_identity(datasets),
            "profile": profile_identity(profile_json, protocol)}


def run_problems(prov: dict) -> list[str]:
    """What a run's provenance lacks of ``RUN_FIELDS`` (an ``UNKNOWN`` value
    is a fact recorded as unknown, not a missing one)."""
    problems = [f"provenance lacks {f!r}" for f in RUN_FIELDS if f not in prov]
    if not prov.get("sessions", [None]) or any(
            "cpu" not in s or "commit" not in s for s in prov.get("sessions") or []):
        problems.append("provenance 'sessions' is empty or a session lacks its cpu/commit")
    span = prov.get("commit_span", {})
    problems += [f"provenance 'commit_span' lacks {k!r}"
                 for k in ("first", "last", "training_code_changed") if "commit_span" in prov
                 and k not in span]
    for role, d in (prov.get("data") or {}).items():
        problems += [f"provenance 'data' of {role!r} lacks {k!r}"
                     for k in ("version", "split_ids_sha256") if k not in d]
    if "profile" in prov and "protocol_sha256" not in prov["profile"]:
        problems.append("provenance 'profile' lacks 'protocol_sha256'")
    return problems
