"""TensorFlow's CPU-only start-up lines are dropped; every other line of the
standard error still reaches the user."""
import json
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
    oneDNN kernels are on, in a process that imports TensorFlow as the
    commands do (``tf_runtime.import_tensorflow``)."""
    env = {k: v for k, v in os.environ.items() if k != tf_runtime.ONEDNN}
    if env_value is not None:
        env[tf_runtime.ONEDNN] = env_value
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"
    code = ("import os; from reproductions.common import tf_runtime; "
            "tf_runtime.import_tensorflow(); "
            f"print(os.environ['{tf_runtime.ONEDNN}'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return out.stdout.strip(), "oneDNN custom operations are on" in out.stderr


def test_a_command_turns_onednn_on():
    assert _onednn_in_a_fresh_process(None) == ("1", True)


def test_a_users_choice_of_onednn_is_kept():
    assert _onednn_in_a_fresh_process("0") == ("0", False)


def _stdout_without_the_commands_variables(code: str) -> str:
    """The standard output of ``python -c code`` in this environment less
    what a command sets (:func:`tf_runtime.command_environment`)."""
    env = {k: v for k, v in os.environ.items()
           if k not in (tf_runtime.ONEDNN, "TF_CPP_MIN_LOG_LEVEL")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env).stdout


def test_an_entry_point_sets_the_commands_environment_when_it_starts():
    code = ("import os; from reproductions.common import cli; "
            "main = cli.entry_point(lambda argv: print("
            f"os.environ.get('{tf_runtime.ONEDNN}'), os.environ.get('TF_CPP_MIN_LOG_LEVEL')) "
            "or 0); "
            f"print(os.environ.get('{tf_runtime.ONEDNN}')); main(None)")
    assert _stdout_without_the_commands_variables(code).split() == ["None", "1", "2"]


#: The commands that load TensorFlow (``python -m <module>``).
COMMANDS = ("reproductions.super_xception.__main__", "reproductions.dri.__main__",
            "reproductions.dcae.__main__", "reproductions.drsn_dc.__main__",
            "reproductions.active_transfer.__main__", "reproductions.active_transfer.labelling",
            "reproductions.dri.learning_curve", "reproductions.predict",
            "reproductions.finetune", "reproductions.presets.__main__")


def test_every_command_sets_the_commands_environment_first():
    """Even ``--help`` runs in it: a command sets it before anything it does
    can load TensorFlow (importing the package no longer does)."""
    code = ("import contextlib, importlib, io, json, os; seen = {}\n"
            f"for name in {COMMANDS!r}:\n"
            f"    os.environ.pop('{tf_runtime.ONEDNN}', None)\n"
            "    main = importlib.import_module(name).main\n"
            "    with contextlib.redirect_stdout(io.StringIO()), "
            "contextlib.redirect_stderr(io.StringIO()):\n"
            "        try:\n"
            "            main(['--help'])\n"
            "        except SystemExit:\n"
            "            pass\n"
            f"    seen[name] = os.environ.get('{tf_runtime.ONEDNN}')\n"
            "print(json.dumps(seen))")
    seen = json.loads(_stdout_without_the_commands_variables(code).splitlines()[-1])
    assert seen == dict.fromkeys(COMMANDS, "1")


#: Third-party modules that change the environment when imported (TensorFlow:
#: TF2_BEHAVIOR, KMP_*, TPU_ML_PLATFORM...; OpenCV: LD_LIBRARY_PATH), imported
#: before the snapshot so that only the suite's own packages are measured.
THIRD_PARTY = ("tensorflow", "keras", "tensorflow_datasets", "cv2")


def test_importing_the_packages_leaves_the_environment_as_it_was():
    code = (f"import os, json; import {', '.join(THIRD_PARTY)}; "
            "before = dict(os.environ); "
            "import reproductions, reproductions.super_xception, layers, tfds_builders; "
            "import reproductions.common.cli, reproductions.super_xception.__main__; "
            "after = dict(os.environ); "
            "print(json.dumps({k: [before.get(k), after.get(k)] for k in {*before, *after} "
            "if before.get(k) != after.get(k)}))")
    assert json.loads(_stdout_without_the_commands_variables(code).splitlines()[-1]) == {}


def test_importing_the_package_alone_leaves_the_environment_as_it_was():
    """Without TensorFlow imported first: nothing of the suite's sets a variable."""
    code = ("import os; before = dict(os.environ); "
            "import reproductions, reproductions.super_xception, reproductions.common.cli; "
            "print(dict(os.environ) == before)")
    assert _stdout_without_the_commands_variables(code).strip() == "True"


def test_provenance_records_the_onednn_switch(monkeypatch):
    from reproductions.common import provenance
    monkeypatch.setenv(tf_runtime.ONEDNN, "1")
    assert provenance.hardware()["tf_enable_onednn_opts"] == "1"


def test_the_test_process_runs_with_onednn_on():
    """The root conftest.py sets the commands' environment before any test
    module imports TensorFlow, so the switch is on unless the user chose."""
    import conftest
    assert not conftest.TENSORFLOW_WAS_IMPORTED
    assert os.environ[tf_runtime.ONEDNN] == (conftest.USER_ONEDNN or "1")
