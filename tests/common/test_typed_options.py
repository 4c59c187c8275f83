"""Typed profile settings and run options (issue #32): paper code reads
``ctx.profile.settings.<name>`` and ``ctx.options.<name>``, never a string
key of a dictionary or the argparse namespace."""
import dataclasses

from reproductions.common import cli, options
from reproductions.common.options import RunOptions
from reproductions.common.profiles import Settings, optional, smoke


@dataclasses.dataclass(frozen=True)
class _Settings(Settings):
    size: int
    pairs: tuple[int, ...]
    eager: bool = optional(False)


@dataclasses.dataclass(frozen=True)
class _Options:
    ablation: bool = options.switch_off("--no-ablation", "skip the ablation")


def test_settings_json_leaves_out_optional_fields_at_their_default():
    settings = _Settings(size=8, pairs=(1, 2))
    assert settings.to_json() == {"size": 8, "pairs": (1, 2)}
    assert settings.replace(eager=True).to_json() == {"size": 8, "pairs": (1, 2), "eager": True}
    profile = smoke(image_size=8, settings=settings)
    assert profile.to_json()["extra"] == {"size": 8, "pairs": (1, 2)}
    assert "settings" not in profile.to_json()
    assert _Settings.from_json({"size": 8, "pairs": [1, 2], "gone": 0}).size == 8


def _parse(argv, paper_options=None):
    parser = cli.build_parser("x", "", {"smoke": smoke(image_size=8)}, ("a",))
    if paper_options is not None:
        options.add_arguments(parser, paper_options)
    return RunOptions.from_args(parser.parse_args(argv), paper_options)


def test_run_options_from_the_command_line():
    assert _parse([]) == RunOptions()
    got = _parse(["--no-export", "--no-tensorboard", "--only-seeds", "1,2",
                  "--image-folder", "/tmp/x"])
    assert (got.export, got.tensorboard, got.only_seeds, got.image_folder) == (
        False, False, (1, 2), True)
    assert _parse([]).extra_runs is True
    assert _parse(["--no-extra-runs"]).extra_runs is False
    assert _parse([], _Options).paper == _Options(ablation=True)
    assert _parse(["--no-ablation"], _Options).paper == _Options(ablation=False)
