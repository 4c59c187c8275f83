"""TensorFlow's CPU-only start-up lines are dropped; every other line of the
standard error still reaches the user."""
import os
import subprocess
import sys

import pytest

from reproductions.common import tf_runtime

BENIGN_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796097558.860203   30127 port.cc:153] oneDNN custom operations are on. "
    "You may see slightly different numerical results",
    "I0000 00:00:1796097558.860794   30127 cudart_stub.cc:31] Could not find cuda drivers "
    "on your machine, GPU will not be used.",
    "E0000 00:00:1796097560.257937   30127 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
]


def test_filtered_stderr_drops_only_the_known_lines(capfd):
    real = "E0000 00:00:1.0  1 kernel.cc:9] something actually went wrong"
    with tf_runtime.filtered_stderr():
        os.write(2, ("\n".join(BENIGN_LINES[:2] + [real] + BENIGN_LINES[2:]) + "\n").encode())
        print("python warning line", file=sys.stderr)
    err = capfd.readouterr().err
    # (under pytest, Python's sys.stderr is its own capture, hence no order)
    assert sorted(err.splitlines()) == sorted([real, "python warning line"])


def test_stderr_is_restored_even_when_the_body_raises(capfd):
    with pytest.raises(RuntimeError):
        with tf_runtime.filtered_stderr():
            os.write(2, b"kept before the error\n")
            raise RuntimeError("boom")
    os.write(2, b"after\n")
    assert capfd.readouterr().err.splitlines() == ["kept before the error", "after"]


@pytest.mark.parametrize("paper", ["super_xception", "dri", "dcae", "drsn_dc",
                                   "active_transfer"])
def test_help_does_not_import_tensorflow(paper):
    code = (f"import sys, reproductions.{paper}.__main__ as m; "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_command_prints_no_tensorflow_start_up_lines():
    code = ("from reproductions.common import tf_runtime; "
            "tf = tf_runtime.import_tensorflow(); print(float(tf.reduce_sum([1.0, 2.0])))")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "HEP2REPRO_TF_LOGS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "3.0"
    assert out.stderr == ""


def _onednn_in_a_fresh_process(env_value):
    """TensorFlow's own start-up notice, which it prints exactly when its
    oneDNN kernels are on, in a process that imports ``reproductions`` first."""
    env = {k: v for k, v in os.environ.items() if k != tf_runtime.ONEDNN}
    if env_value is not None:
        env[tf_runtime.ONEDNN] = env_value
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"
    code = ("import os, reproductions, tensorflow; "
            f"print(os.environ['{tf_runtime.ONEDNN}'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return out.stdout.strip(), "oneDNN custom operations are on" in out.stderr


def test_importing_the_package_turns_onednn_on():
    assert _onednn_in_a_fresh_process(None) == ("1", True)


def test_a_users_choice_of_onednn_is_kept():
    assert _onednn_in_a_fresh_process("0") == ("0", False)


def test_provenance_records_the_onednn_switch(monkeypatch):
    from reproductions.common import provenance
    monkeypatch.setenv(tf_runtime.ONEDNN, "1")
    assert provenance.hardware()["tf_enable_onednn_opts"] == "1"


def test_the_test_process_runs_with_onednn_on():
    """The root conftest.py imports ``reproductions`` before any test module
    imports TensorFlow, so the switch is on unless the user chose."""
    import conftest
    assert not conftest.TENSORFLOW_WAS_IMPORTED
    assert os.environ[tf_runtime.ONEDNN] == (conftest.USER_ONEDNN or "1")
