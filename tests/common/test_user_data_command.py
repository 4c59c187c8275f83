"""``--image-folder``: a paper's command end to end on a user's folder
(train, evaluate, results marked "user data", kept apart from the paper's),
and the ``ROLE=PATH`` forms of ``--manual-dir`` / ``--image-folder``."""
import json

import cv2
import numpy as np
import pytest

from reproductions.common import cli, provenance
from reproductions.common.errors import UserError
from reproductions.common.profiles import Profile

CLASSES = ("anti_dsf70", "cytoplasmic", "homogeneous")  # not I3A's classes


def _write_folder(root, per_class=10, size=40):
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            image = rng.integers(0, 60, (size, size), dtype=np.uint8)
            cv2.circle(image, (size // 2, size // 2), 8 + 5 * c, int(120 + 40 * c), -1)
            if i % 3 == 0:  # some colour files: converted to grey
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            cv2.imwrite(str(root / name / f"{i:03d}.png"), image)


@pytest.fixture(scope="module")
def dri_on_folder(tmp_path_factory):
    from reproductions.dri import __main__ as command
    root = tmp_path_factory.mktemp("user")
    _write_folder(root / "cells")
    argv = ["--profile", "smoke", "--image-folder", str(root / "cells"),
            "--rows", "shallow_inception", "--output-dir", str(root / "out"),
            "--work-dir", str(root / "work"), "--no-tensorboard", "--verbose", "0"]
    status = command.main(argv)
    return status, root


def test_dri_trains_and_evaluates_on_a_user_folder(dri_on_folder):
    status, root = dri_on_folder
    assert status == 0
    data = json.loads((root / "out" / "results.json").read_text())
    assert data["user_data"] is True and data["synthetic"] is False
    folder = data["datasets"]["data"]
    assert folder["name"] == "image_folder" and folder["classes"] == list(CLASSES)
    assert folder["converted"] == {"rgb_to_gray": 12}  # files 0, 3, 6, 9 of each class
    assert sum(folder["splits"].values()) == 30
    (run,) = data["runs"]
    assert run["row"] == "shallow_inception"
    assert list(run["metrics"]["per_class"]) == list(CLASSES)  # the head follows the folder
    assert run["metrics"]["n"] == folder["splits"]["test"]
    # every class gets the "*" rotation count (20 copies): the folder has no Golgi
    train = folder["used"]["train"]
    assert sum(folder["augmented_train"]) == 20 * train
    readme = (root / "out" / "README.md").read_text()
    assert "USER DATA" in readme and "smoke (user data)" in readme
    assert f"from `{root / 'cells'}`" in readme


def test_the_papers_data_is_not_mixed_into_user_results(dri_on_folder):
    from reproductions.dri import __main__ as command
    _, root = dri_on_folder
    status = command.main(["--profile", "smoke", "--data", "synthetic", "--rows",
                           "shallow_inception", "--output-dir", str(root / "out"),
                           "--work-dir", str(root / "work2"), "--no-tensorboard"])
    assert status == 2  # refused: --force or another --output-dir


def test_super_xception_on_a_folder_asks_to_switch_length_normalisation_off(tmp_path, capsys):
    from reproductions.super_xception import __main__ as command
    _write_folder(tmp_path / "chromosomes", per_class=6)
    argv = ["--profile", "smoke", "--image-folder", str(tmp_path / "chromosomes"),
            "--output-dir", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work")]
    assert command.main(argv) == 2
    assert "--no-length-normalization" in capsys.readouterr().err


@pytest.mark.parametrize("bad,message", [
    ("--image-folder", "does not exist or is not a folder"),
])
def test_missing_image_folder_is_a_user_error(tmp_path, capsys, bad, message):
    from reproductions.dri import __main__ as command
    assert command.main([bad, str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert message in err and str(tmp_path / "nope") in err


def test_role_paths_single_and_named_roles():
    assert cli.role_paths(["/a"], ("data",), "--manual-dir") == {"data": cli.Path("/a")}
    assert cli.role_paths(["data=/a"], ("data",), "--manual-dir") == {"data": cli.Path("/a")}
    roles = ("source", "target")
    assert cli.role_paths(["target=/t", "source=/s=x"], roles, "--manual-dir") == {
        "target": cli.Path("/t"), "source": cli.Path("/s=x")}
    with pytest.raises(UserError, match="ROLE=PATH with ROLE one of source, target"):
        cli.role_paths(["/a"], roles, "--manual-dir")
    with pytest.raises(UserError, match="names the target dataset twice"):
        cli.role_paths(["target=/a", "target=/b"], roles, "--image-folder")


def test_results_go_under_the_working_directory_when_installed(tmp_path, monkeypatch):
    profile = Profile(name="cpu", description="", image_size=8, batch_size=1, epochs={"*": 1})
    args = cli.argparse.Namespace(output_dir=None, work_dir=None)
    source_tree = cli.default_dirs("dri", profile, False, args)[0]
    assert source_tree == provenance.REPO_ROOT / "results" / "dri"
    monkeypatch.setattr(provenance, "is_source_checkout", lambda: False)
    monkeypatch.chdir(tmp_path)
    assert cli.default_dirs("dri", profile, False, args)[0] == tmp_path / "results" / "dri"
    assert cli.default_dirs("dri", profile, False, args, user_data=True)[0] == \
        tmp_path / "results" / "dri" / "user-cpu"
    assert cli.default_dirs("dri", profile, True, args)[0] == \
        tmp_path / "results" / "dri" / "synthetic-cpu"
