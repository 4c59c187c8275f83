"""Lineage by content: the weights and code hashes
(``reproductions.common.lineage``), and a source network retrained in
another process on another seed, whose IN-RS run reuses none of the cached
fine-tunings of the first source (read back unchanged, it reuses them all)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import keras
from reproductions.common import lineage, training
from tests.active_transfer.test_command import argv_for

ROOT = Path(__file__).resolve().parents[2]


def tiny(seed=0):
    training.set_determinism(seed)
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 3)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def test_weights_hash_follows_the_weights_not_the_names():
    model = tiny()
    digest = lineage.weights_sha256(model)
    assert len(digest) == 64 and lineage.weights_sha256(model) == digest
    copy = tiny(seed=1)  # other layer names (Keras numbers them), other weights
    assert lineage.weights_sha256(copy) != digest
    copy.set_weights(model.get_weights())
    assert lineage.weights_sha256(copy) == digest
    weights = model.get_weights()
    weights[3][0] += 1e-6  # one moving mean, one float step or so
    copy.set_weights(weights)
    assert lineage.weights_sha256(copy) != digest


def test_weights_hash_is_the_same_in_another_process(tmp_path):
    model = tiny()
    model.save_weights(tmp_path / "w.weights.h5")
    script = ("import sys; from tests.active_transfer.test_lineage import tiny; "
              "from reproductions.common import lineage; m = tiny(seed=5); "
              "m.load_weights(sys.argv[1]); print(lineage.weights_sha256(m))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "w.weights.h5")],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == lineage.weights_sha256(model)


def test_code_hash_follows_the_text_and_the_paths(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    digest = lineage.code_sha256(["a.py", "b.py"], root=tmp_path)
    assert lineage.code_sha256(["a.py", "b.py"], root=tmp_path) == digest
    assert lineage.code_sha256(["b.py", "a.py"], root=tmp_path) != digest
    (tmp_path / "b.py").write_text("y = 3\n")
    assert lineage.code_sha256(["a.py", "b.py"], root=tmp_path) != digest
    from reproductions.active_transfer import __main__ as command
    assert len(lineage.code_sha256(command.TRAINING_CODE)) == 64  # every listed file exists


# The command in a fresh process; "reseed" trains the initial learning (only
# it) from another random start, as another seed or another session would.
SCRIPT = """
import sys
from reproductions.active_transfer import __main__ as command
from reproductions.common import training

if sys.argv[1] == "reseed":
    fit, set_determinism = command.source_fit, training.set_determinism

    def source_fit(ctx, seed):
        training.set_determinism = lambda s: set_determinism(s + 100)
        try:
            return fit(ctx, seed)
        finally:
            training.set_determinism = set_determinism

    command.source_fit = source_fit
sys.exit(command.main(sys.argv[2:]))
"""


def command(mode, root, *extra):
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode, *argv_for(root, *extra)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    stored = json.loads((root / "out" / "results.json").read_text())
    (run,) = [r for r in stored["runs"] if r["row"] == "in_rs"]
    fits = {p.name for p in (root / "work" / "fits").iterdir()}
    keys = {json.loads(p.read_text())["rounds"][0]["fit"]
            for p in (root / "work" / "in_rs-seed0").glob("budget*/state.json")}
    return run, fits, keys, done.stdout + done.stderr


def test_a_retrained_source_reuses_no_fine_tuning(tmp_path):
    root = tmp_path / "run"
    first, fits, keys, _ = command("plain", root, "--rows", "in_rs")
    assert keys <= fits and len(keys) == 2  # the 20 % and 100 % budgets
    assert first["start_sha256"] == first["source"]["weights_sha256"]
    # the same source read back in another process: the same keys, nothing trained
    again, fits_again, keys_again, _ = command("plain", root, "--rows", "in_rs", "--rerun")
    assert again["start_sha256"] == first["start_sha256"]
    assert (fits_again, keys_again) == (fits, keys)
    # the source's checkpoint is lost; another process trains it on another seed
    shutil.rmtree(root / "work" / "initial-seed0")
    second, fits_after, keys_after, log = command("reseed", root, "--rows", "in_rs",
                                                  "--rerun")
    assert second["start_sha256"] != first["start_sha256"]
    assert second["source"]["weights_sha256"] == second["start_sha256"]
    assert not keys_after & fits  # no fine-tuning of the first source is reused
    assert keys_after == fits_after - fits and len(keys_after) == 2  # two new trainings
    assert log.count("from another start network") == 2  # both loops begun again
