"""I3A (ICPR 2014 contest) Task 1 HEp-2 cell dataset: TFDS builder ``i3a_task1``.

Only the contest *training* set (13,596 cells) was ever released, without
specimen ids, so every paper splits it itself. Two configs:

* ``dri`` (default): stratified 64 / 16 / 20 % train / validation / test, as in
  Li & Shen, DLMIA 2017 (DRI). Per class ``n_train = round(0.64 n)``,
  ``n_val = round(0.16 n)``, test = the rest, which gives exactly the training
  counts of the paper's Table 2 (1,596 / 1,812 / 1,663 / 1,754 / 1,413 / 463).
* ``ap80``: stratified 80 / 20 train / test (Vununu et al., Sensors 2021).

Deterministic: within each class the image ids are ordered by
``sha256("<salt>:<class>:<id>")`` (a fixed pseudo-random permutation, see
``tfds_builders._common.stratified_assignment``) and cut into consecutive
blocks; ``round`` is half-up.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Mapping, Sequence

import tensorflow_datasets as tfds
from etils import epath

from tfds_builders import _common

NAME = "i3a_task1"

CLASS_NAMES = ["homogeneous", "speckled", "nucleolar", "centromere", "numem", "golgi"]
# Class names as spelled in gt_training.csv -> ClassLabel name.
CSV_CLASS_TO_LABEL = {
    "homogeneous": "homogeneous",
    "speckled": "speckled",
    "nucleolar": "nucleolar",
    "centromere": "centromere",
    "numem": "numem",
    "golgi": "golgi",
}

CSV_FILE = "gt_training.csv"
IMAGE_DIR = "training"
CSV_COLUMNS = ("Image ID", "Image class")

MANUAL_DOWNLOAD_INSTRUCTIONS = """\
I3A Task 1 (ICPR 2014 "Performance Evaluation of Indirect Immunofluorescence
Image Analysis Systems" contest, Sullivan Nicolaides Pathology): the cell-level
*training* set, distributed by the organisers (https://i3a2014.unisa.it/ ,
Task 1; later re-distributed for the ICPR 2016 contest, http://hep2.unisa.it/).
Obtain it from that official source under its terms (free for research use);
it is not redistributed here. Place it in the manual dir as:

  <manual_dir>/                 (or <manual_dir>/i3a_task1/)
    gt_training.csv             header "Image ID,Image class"; ids 1..13596
                                (not zero-padded); classes Homogeneous,
                                Speckled, Nucleolar, Centromere, NuMem, Golgi
    training/00001.png          cell image, 8-bit grayscale, id zero-padded
    training/00001_Mask.png     its segmentation mask
    ...
"""

_SALT = "i3a_task1-v1"


@dataclasses.dataclass(eq=False)
class I3aTask1Config(tfds.core.BuilderConfig):
    """Config = a stratified split protocol.

    Attributes:
      fractions: ``((split, fraction), ...)``; the last split takes the rest.
    """

    fractions: tuple[tuple[str, float], ...] = ()


def split_ids(
    ids_by_label: Mapping[str, Sequence[str]],
    fractions: Sequence[tuple[str, float]],
) -> dict[str, list[str]]:
    """Deterministic stratified split of the image ids (see module docstring)."""
    return _common.stratified_assignment(ids_by_label, fractions, salt=_SALT)


def read_ground_truth(root: epath.Path) -> dict[str, str]:
    """Returns ``{zero-padded id: label name}`` from ``gt_training.csv``.

    Raises:
      ManualDirError: malformed csv (bad id, unknown class, duplicate id).
    """
    rows = _common.read_csv(
        root / CSV_FILE, CSV_COLUMNS, NAME, MANUAL_DOWNLOAD_INSTRUCTIONS
    )
    labels: dict[str, str] = {}
    for row in rows:
        where = f"{root / CSV_FILE}:{row['_line']}"
        raw_id, raw_cls = row["Image ID"], row["Image class"]
        if not raw_id.isdigit():
            raise _common.manual_dir_error(
                NAME, f"{where}: image id {raw_id!r} is not a number.",
                MANUAL_DOWNLOAD_INSTRUCTIONS)
        label = CSV_CLASS_TO_LABEL.get(raw_cls.lower())
        if label is None:
            raise _common.manual_dir_error(
                NAME, f"{where}: unknown class {raw_cls!r}; expected one of "
                "Homogeneous, Speckled, Nucleolar, Centromere, NuMem, Golgi.",
                MANUAL_DOWNLOAD_INSTRUCTIONS)
        image_id = f"{int(raw_id):05d}"
        if image_id in labels:
            raise _common.manual_dir_error(
                NAME, f"{where}: duplicate image id {raw_id}.",
                MANUAL_DOWNLOAD_INSTRUCTIONS)
        labels[image_id] = label
    if not labels:
        raise _common.manual_dir_error(
            NAME, f"{root / CSV_FILE} lists no images.", MANUAL_DOWNLOAD_INSTRUCTIONS)
    return labels


def check_files(root: epath.Path, labels: Mapping[str, str]) -> None:
    """Every listed id has image + mask, and every image on disk is listed.

    Raises:
      ManualDirError: naming (the first few) missing or unlisted files.
    """
    present = {p.name for p in (root / IMAGE_DIR).iterdir()}
    expected = set()
    for image_id in labels:
        expected.add(f"{image_id}.png")
        expected.add(f"{image_id}_Mask.png")
    missing = sorted(expected - present)
    if missing:
        raise _common.manual_dir_error(
            NAME,
            f"{len(missing)} file(s) listed in {CSV_FILE} are missing from "
            f"{root / IMAGE_DIR}: {', '.join(missing[:10])}"
            f"{' ...' if len(missing) > 10 else ''}",
            MANUAL_DOWNLOAD_INSTRUCTIONS)
    unlisted = sorted(n for n in present - expected if n.lower().endswith(".png"))
    if unlisted:
        raise _common.manual_dir_error(
            NAME,
            f"{len(unlisted)} image(s) in {root / IMAGE_DIR} are not listed in "
            f"{CSV_FILE} (refusing to drop them silently): "
            f"{', '.join(unlisted[:10])}{' ...' if len(unlisted) > 10 else ''}",
            MANUAL_DOWNLOAD_INSTRUCTIONS)


class I3aTask1(tfds.core.GeneratorBasedBuilder):
    """I3A Task 1 HEp-2 cell images (13,596 cells, 6 staining patterns)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: configs `dri` (64/16/20) and `ap80` (80/20).",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

    BUILDER_CONFIGS = [
        I3aTask1Config(
            name="dri",
            description=(
                "Stratified 64/16/20 % train/validation/test split of Li & Shen "
                "(DRI, DLMIA 2017): train = 8,701 cells."
            ),
            fractions=(("train", 0.64), ("validation", 0.16), ("test", 0.20)),
        ),
        I3aTask1Config(
            name="ap80",
            description=(
                "Stratified 80/20 % train/test split (Vununu et al., Sensors 2021 "
                "protocol)."
            ),
            fractions=(("train", 0.80), ("test", 0.20)),
        ),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "dri"

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 1)),
                "mask": tfds.features.Image(shape=(None, None, 1)),
                "label": tfds.features.ClassLabel(names=CLASS_NAMES),
                "id": tfds.features.Text(),
            }),
            supervised_keys=("image", "label"),
            homepage="https://i3a2014.unisa.it/",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = _common.resolve_manual_dir(
            dl_manager, NAME, MANUAL_DOWNLOAD_INSTRUCTIONS, [CSV_FILE, IMAGE_DIR + "/"]
        )
        labels = read_ground_truth(root)
        check_files(root, labels)
        by_label = collections.defaultdict(list)
        for image_id, label in labels.items():
            by_label[label].append(image_id)
        splits = split_ids(by_label, self.builder_config.fractions)
        return {
            split: self._generate_examples(root, [(i, labels[i]) for i in ids])
            for split, ids in splits.items()
        }

    def _generate_examples(self, root: epath.Path, items):
        image_dir = root / IMAGE_DIR
        for image_id, label in items:
            image_path = image_dir / f"{image_id}.png"
            mask_path = image_dir / f"{image_id}_Mask.png"
            image, image_px = _common.gray_png_bytes(image_path)
            mask, mask_px = _common.gray_png_bytes(mask_path)
            if image_px.shape != mask_px.shape:
                raise _common.CorruptImageError(
                    f"mask {mask_path} has size {mask_px.shape}, but image "
                    f"{image_path} has size {image_px.shape}."
                )
            yield image_id, {
                "image": image,
                "mask": mask,
                "label": label,
                "id": image_id,
            }
