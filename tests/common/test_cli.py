"""Bad input: one-paragraph messages, exit status 2, no traceback, before any
training. The command-line cases run ``python -m reproductions.super_xception``
in subprocesses, all started at once (each pays TensorFlow's import)."""
import os
import subprocess
import sys
import time

import pytest

from reproductions.common import data as data_lib
from reproductions.common.errors import UserError

ROWS = "deep_cnn, resnet50, super_alexnet, super_resnet, xception, super_xception"

# case -> (extra arguments, fragments the message must contain); {tmp} is
# replaced by a per-module temporary folder
CASES = {
    "unknown_profile": (["--profile", "nope"],
                        ["--profile", "'nope'", "smoke", "cpu", "paper"]),
    "unknown_option": (["--no-such-option"], ["unrecognized arguments: --no-such-option"]),
    "unknown_row": (["--rows", "nope"], ["Unknown row(s) nope", ROWS]),
    "missing_manual_dir": (["--manual-dir", "{tmp}/does-not-exist"],
                           ["{tmp}/does-not-exist", "does not exist"]),
    "empty_manual_dir": (["--manual-dir", "{tmp}/empty"], ["{tmp}/empty", "is empty"]),
    "wrong_layout": (["--data", "real", "--manual-dir", "{tmp}/wrong"],
                     ["{tmp}/wrong", "single_chromosomes/",
                      "<karyotype>/<karyotype> <class><copy>.bmp"]),
}


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    (tmp / "empty").mkdir()
    (tmp / "wrong" / "images").mkdir(parents=True)
    (tmp / "wrong" / "images" / "1.bmp").write_bytes(b"not an image")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = {}
    for case, (args, _) in CASES.items():
        out = tmp / case
        argv = [a.format(tmp=tmp) for a in args] + [
            "--output-dir", str(out / "results"), "--work-dir", str(out / "work"),
            "--data-dir", str(out / "tfds")]
        started[case] = subprocess.Popen(
            [sys.executable, "-m", "reproductions.super_xception", *argv],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    start = time.perf_counter()
    yield tmp, started, start
    for proc in started.values():
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("case", list(CASES))
def test_bad_command_line(processes, case):
    tmp, started, start = processes
    proc = started[case]
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, (stdout, stderr)
    assert "Traceback" not in stderr and "Traceback" not in stdout
    for fragment in CASES[case][1]:
        assert fragment.format(tmp=tmp) in stderr, stderr
    # failed before any training or writing of results
    assert "Epoch" not in stdout and "run 1/" not in stdout
    assert not (tmp / case / "results").exists()
    assert not (tmp / case / "work").exists()


def test_prepare_unknown_dataset_is_a_user_error(tmp_path):
    source = data_lib.DataSource("no_such_dataset_xyz", None, True, None)
    with pytest.raises(UserError, match="no_such_dataset_xyz"):
        data_lib.prepare(source, tmp_path)
    source = data_lib.DataSource("synthetic_chromosomes", "no_such_config", True, None)
    with pytest.raises(UserError, match="no_such_config"):
        data_lib.prepare(source, tmp_path)


def test_prepare_turns_builder_input_errors_into_user_errors(tmp_path):
    import tfds_builders
    wrong = tmp_path / "wrong"
    (wrong / "images").mkdir(parents=True)
    source = data_lib.resolve_source("bioimlab_chromosomes", "synthetic_chromosomes",
                                     data="real", manual_dir=wrong)
    assert not source.synthetic and source.manual_dir == wrong.resolve()
    with pytest.raises(UserError) as err:
        data_lib.prepare(source, tmp_path / "tfds")
    assert not isinstance(err.value, tfds_builders.DatasetInputError)
    assert "single_chromosomes/" in str(err.value) and str(wrong) in str(err.value)


def test_resolve_source_choices(tmp_path):
    synth = data_lib.resolve_source("bioimlab_chromosomes", "synthetic_chromosomes",
                                    data="synthetic")
    assert synth.synthetic and synth.name == "synthetic_chromosomes"
    with pytest.raises(UserError, match="drop one"):
        data_lib.resolve_source("bioimlab_chromosomes", "synthetic_chromosomes",
                                data="synthetic", manual_dir=tmp_path)
    with pytest.raises(UserError, match="auto, real or synthetic"):
        data_lib.resolve_source("bioimlab_chromosomes", "synthetic_chromosomes",
                                data="fake")
