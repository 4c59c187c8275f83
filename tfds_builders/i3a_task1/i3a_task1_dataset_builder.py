"""I3A (ICPR 2014 contest) Task 1 HEp-2 cell dataset: TFDS builder ``i3a_task1``.

Only the contest *training* set (13,596 cells) was ever released, without
specimen ids, so every paper splits it itself. Three configs:

* ``dri`` (default): stratified 64 / 16 / 20 % train / validation / test, as in
  Li & Shen, DLMIA 2017 (DRI). Per class ``n_train = round(0.64 n)``,
  ``n_val = round(0.16 n)``, test = the rest, which gives exactly the training
  counts of the paper's Table 2 (1,596 / 1,812 / 1,663 / 1,754 / 1,413 / 463).
* ``ap80``: stratified 80 / 20 train / test (Vununu et al., Sensors 2021).
* ``dri_blocks``: 64 / 16 / 20 % of whole *specimen blocks* (runs of
  consecutive ids, a proxy for the specimens the release does not name),
  stratified by class.

Cell-level configs (``dri``, ``ap80``) are deterministic: within each class
the image ids are ordered by ``sha256("<salt>:<class>:<id>")`` (a fixed
pseudo-random permutation, see ``tfds_builders._common.stratified_assignment``)
and cut into consecutive runs; ``round`` is half-up.

**Pixel duplicates stay in one split.** Cells whose decoded image *and* mask
are pixel-identical (the release holds 194 such pairs, NuMem 11199-11392 =
11005-11198, whose PNG files differ in metadata only) form a group; its
lowest id is the original, the others are copies (feature ``duplicate_of``).
After the assignment above, each copy that is not in its original's split
changes places with a cell of its own class in that split (the first in the
order ``sha256("<salt>:swap:<class>:<id>")`` that is in no duplicate group and
has not moved yet), so every per-class per-split count stays as it was.

``dri_blocks``: within each class, the non-copy ids in id order are cut where
the level of ``log(1 + mean intensity)`` jumps (``grouping.change_points``:
medians of the 20 cells before and after differ by at least 3 robust noise
units; blocks of at least 20 cells); copies join their original's block. The
blocks of each class are then dealt to the splits by a seeded greedy
(``grouping.assign_blocks``, salt ``"<salt>:blocks"``), keeping the first
candidate within 2 percentage points of 64 / 16 / 20 in every split. The
README gives the measurements behind these choices.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Mapping, Sequence

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from tfds_builders import _common
from tfds_builders.i3a_task1 import grouping

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
      block_window: ``None``: cells are assigned one by one. Otherwise whole
        specimen blocks are (see :func:`split_blocks`); the window and minimum
        block length, in cells.
      block_threshold: the smallest jump, in robust noise units, that starts a
        new block.
    """

    fractions: tuple[tuple[str, float], ...] = ()
    block_window: int | None = None
    block_threshold: float = 3.0


def split_ids(
    ids_by_label: Mapping[str, Sequence[str]],
    fractions: Sequence[tuple[str, float]],
    duplicates: Sequence[Sequence[str]] = (),
) -> dict[str, list[str]]:
    """Deterministic stratified split of the image ids (see module docstring).

    Args:
      ids_by_label: class -> image ids.
      fractions: ``((split, fraction), ...)``; the last split takes the rest.
      duplicates: pixel-duplicate groups (:func:`grouping.find_duplicates`);
        each group ends up in its original's split, per-class counts unchanged.
    """
    splits = _common.stratified_assignment(ids_by_label, fractions, salt=_SALT)
    labels = {i: label for label, ids in ids_by_label.items() for i in ids}
    return grouping.keep_duplicates_together(
        splits, labels, duplicates, salt=f"{_SALT}:swap")


def split_blocks(
    ids_by_label: Mapping[str, Sequence[str]],
    fractions: Sequence[tuple[str, float]],
    intensity: Mapping[str, float],
    duplicates: Sequence[Sequence[str]] = (),
    window: int = 20,
    threshold: float = 3.0,
) -> dict[str, list[str]]:
    """Stratified split of whole specimen blocks (see module docstring).

    Args:
      ids_by_label: class -> image ids.
      fractions: ``((split, fraction), ...)``; the last split takes the rest.
      intensity: id -> mean pixel value of the cell image.
      duplicates: pixel-duplicate groups; copies join their original's block.
      window, threshold: see :func:`grouping.change_points`.
    """
    blocks = grouping.specimen_blocks(ids_by_label, intensity, duplicates,
                                      window, threshold)
    return grouping.assign_blocks(blocks, fractions, salt=f"{_SALT}:blocks")


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


def read_cell(image_dir: epath.Path, image_id: str):
    """Reads a cell image and its mask.

    Returns:
      ``(image_png_bytes, image_pixels, mask_png_bytes, mask_pixels)``; pixels
      are 2-D ``uint8`` arrays (see ``_common.gray_png_bytes``).

    Raises:
      CorruptImageError: a file cannot be decoded, or the mask's size differs
        from the image's.
    """
    image_path = image_dir / f"{image_id}.png"
    mask_path = image_dir / f"{image_id}_Mask.png"
    image, image_px = _common.gray_png_bytes(image_path)
    mask, mask_px = _common.gray_png_bytes(mask_path)
    if image_px.shape != mask_px.shape:
        raise _common.CorruptImageError(
            f"mask {mask_path} has size {mask_px.shape}, but image "
            f"{image_path} has size {image_px.shape}."
        )
    return image, image_px, mask, mask_px


def scan_cells(root: epath.Path, ids: Sequence[str]):
    """Decodes every cell once.

    Returns:
      ``(duplicates, intensity)``: the pixel-duplicate groups
      (:func:`grouping.find_duplicates` of image + mask) and
      ``{id: mean pixel value of the image}``.

    Raises:
      CorruptImageError: see :func:`read_cell`.
    """
    digests, intensity = {}, {}
    for image_id in ids:
        _, image_px, _, mask_px = read_cell(root / IMAGE_DIR, image_id)
        digests[image_id] = grouping.pixel_digest(image_px, mask_px)
        intensity[image_id] = float(np.mean(image_px, dtype=np.float64))
    return grouping.find_duplicates(digests), intensity


class I3aTask1(tfds.core.GeneratorBasedBuilder):
    """I3A Task 1 HEp-2 cell images (13,596 cells, 6 staining patterns)."""

    VERSION = tfds.core.Version("2.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: configs `dri` (64/16/20) and `ap80` (80/20).",
        "2.0.0": "Pixel duplicates (same decoded image and mask; 194 NuMem pairs "
                 "11005-11198 / 11199-11392) are kept in one split: in `dri` and "
                 "`ap80` each copy changes places with a same-class cell of its "
                 "original's split, so per-class per-split counts are unchanged "
                 "(1.0.0 had split 106 pairs in `dri`, 39 of them between train "
                 "and test, and 52 in `ap80`). New feature "
                 "`duplicate_of`. New config `dri_blocks` (64/16/20 of whole "
                 "specimen blocks of consecutive ids).",
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
        I3aTask1Config(
            name="dri_blocks",
            description=(
                "Stratified 64/16/20 % train/validation/test split of whole "
                "specimen blocks (runs of consecutive ids cut where the mean "
                "intensity jumps), so that no specimen proxy is in two splits."
            ),
            fractions=(("train", 0.64), ("validation", 0.16), ("test", 0.20)),
            block_window=20,
            block_threshold=3.0,
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
                # id of the pixel-identical original, "" if the cell is none's copy
                "duplicate_of": tfds.features.Text(),
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
        duplicates, intensity = scan_cells(root, sorted(labels))
        by_label = collections.defaultdict(list)
        for image_id, label in labels.items():
            by_label[label].append(image_id)
        config = self.builder_config
        try:
            if config.block_window is None:
                splits = split_ids(by_label, config.fractions, duplicates)
            else:
                splits = split_blocks(by_label, config.fractions, intensity, duplicates,
                                      config.block_window, config.block_threshold)
        except _common.DatasetError as e:
            raise _common.DatasetError(f"{NAME}/{config.name}: {e}") from None
        original = {copy: group[0] for group in duplicates for copy in group[1:]}
        return {
            split: self._generate_examples(
                root, [(i, labels[i], original.get(i, "")) for i in ids])
            for split, ids in splits.items()
        }

    def _generate_examples(self, root: epath.Path, items):
        for image_id, label, duplicate_of in items:
            image, _, mask, _ = read_cell(root / IMAGE_DIR, image_id)
            yield image_id, {
                "image": image,
                "mask": mask,
                "label": label,
                "id": image_id,
                "duplicate_of": duplicate_of,
            }
