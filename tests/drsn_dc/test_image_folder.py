"""``--image-folder``: the command on a user's 9-class ANA folder (the
paper's classes, generated here), end to end in the smoke profile: the
classifier has one output per class folder and the results are marked as
user data."""
import json
import re

import cv2
import numpy as np
import pytest

from reproductions.common import results
from reproductions.drsn_dc import __main__ as command
from reproductions.drsn_dc.paper import TABLE1_CLASSES
from tests.drsn_dc.test_models import expected_parameters

CLASSES = tuple(name.replace(" ", "_") for name in TABLE1_CLASSES)  # sorted below
PER_CLASS = 8


def write_ana_folder(root, size=48):
    """Nine class folders of grey specimen-like fields: a few bright blobs
    whose number and size depend on the class, on noise."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i in range(PER_CLASS):
            image = rng.integers(0, 40, (size, size), dtype=np.uint8)
            for _ in range(1 + c % 4):
                centre = tuple(int(v) for v in rng.integers(8, size - 8, 2))
                cv2.circle(image, centre, 3 + c // 3, int(100 + 15 * c), -1)
            cv2.imwrite(str(root / name / f"{i:03d}.png"), image)


@pytest.fixture(scope="module")
def on_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("ana")
    write_ana_folder(root / "ana")
    argv = ["--profile", "smoke", "--image-folder", str(root / "ana"), "--rows", "drsn_dc",
            "--no-ablation", "--output-dir", str(root / "out"),
            "--work-dir", str(root / "work"), "--no-tensorboard", "--verbose", "0"]
    return command.main(argv), root


def test_drsn_dc_trains_on_a_nine_class_folder(on_folder):
    status, root = on_folder
    assert status == 0
    data = json.loads((root / "out" / "results.json").read_text())
    assert data["user_data"] is True and data["synthetic"] is False
    assert data["note"] == results.USER_DATA_MARK
    folder = data["datasets"]["data"]
    assert folder["name"] == "image_folder" and folder["classes"] == sorted(CLASSES)
    assert sum(folder["splits"].values()) == 9 * PER_CLASS
    assert folder["class_names"] == sorted(CLASSES)
    assert len(folder["expanded_train"]) == 9
    assert {(r["row"], r["seed"], r["variant"]) for r in data["runs"]} == {
        ("drsn_dc", 0, ""), ("drsn_dc", 1, "")}  # 2 smoke seeds, no ablation
    for run in data["runs"]:
        assert run["classes"] == 9  # the head follows the folder, not I3A's 6
        assert run["parameters"] == expected_parameters("drsn_dc", 32, 9)
        assert list(run["metrics"]["per_class"]) == sorted(CLASSES)
        assert np.asarray(run["metrics"]["confusion_matrix"]).shape == (9, 9)
        assert run["metrics"]["n"] == min(12, folder["splits"]["test"])  # smoke subset
    readme = (root / "out" / "README.md").read_text()
    assert "USER DATA" in readme and "smoke (user data)" in readme
    assert f"from `{root / 'ana'}`" in readme
    assert re.search(r"\nFC → softmax +9\n", readme)  # the diagram's 9 outputs
