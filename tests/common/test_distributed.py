"""``--strategy mirrored`` on two logical CPU devices (two replicas, as on a
two-GPU machine): a run killed after epoch 1 resumes to exactly the
uninterrupted mirrored run, and a paper's smoke command trains and evaluates
under the strategy. Subprocesses: logical devices must be set before
TensorFlow initialises."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from tests.common import _resume_script as script

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _train(run_dir, *extra):
    return subprocess.run([sys.executable, script.__file__, str(run_dir), "--mirrored", *extra],
                          capture_output=True, text=True, env=ENV, timeout=600)


def test_mirrored_run_killed_after_epoch_1_resumes_to_the_uninterrupted_result(tmp_path):
    whole = _train(tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr[-2000:]
    killed = _train(tmp_path / "resumed", "--kill-after-epoch", "1")
    assert killed.returncode == -9
    assert not (tmp_path / "resumed" / "outcome.json").exists()
    resumed = _train(tmp_path / "resumed")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a = np.load(tmp_path / "whole" / "final_weights.npz")
    b = np.load(tmp_path / "resumed" / "final_weights.npz")
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-6)
    outcome = [json.loads((tmp_path / d / "outcome.json").read_text())
               for d in ("whole", "resumed")]
    assert outcome[0]["epochs"] == outcome[1]["epochs"] == script.EPOCHS
    assert outcome[0]["best_epoch"] == outcome[1]["best_epoch"]


COMMAND = textwrap.dedent("""
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from reproductions.super_xception.__main__ import main
    sys.exit(main(sys.argv[1:]))
""")


def test_a_smoke_command_trains_and_evaluates_under_mirrored_strategy(tmp_path):
    argv = ["--profile", "smoke", "--data", "synthetic", "--rows", "deep_cnn",
            "--strategy", "mirrored", "--output-dir", str(tmp_path / "out"),
            "--work-dir", str(tmp_path / "work"), "--data-dir", str(tmp_path / "tfds"),
            "--no-tensorboard", "--verbose", "0"]
    proc = subprocess.run([sys.executable, "-c", COMMAND, *argv], capture_output=True,
                          text=True, env=ENV, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "mirrored strategy: 2 replicas, global batch 8" in proc.stdout
    data = json.loads(Path(tmp_path / "out" / "results.json").read_text())
    (run,) = data["runs"]
    assert run["row"] == "deep_cnn" and run["metrics"]["n"] == 24
    again = subprocess.run([sys.executable, "-c", COMMAND, *argv], capture_output=True,
                           text=True, env=ENV, timeout=900)
    assert again.returncode == 0 and "1 of 1 runs already stored" in again.stdout
