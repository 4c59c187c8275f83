"""SNPHEp-2 HEp-2 cell dataset (Wiliem et al., WACV 2013): TFDS builder ``snphep2``.

Configs:

* ``full`` (default): the official train (905 cells, ``train/``) and test
  (979 cells, ``test/``) sets, which come from disjoint specimens.
* ``split_1`` .. ``split_5``: the official ``Split-50-k`` subsets of
  ``split_information/``. ``Split-50-k_train`` lists ~half of the official
  training images (453 numbers of files in ``train/``) and ``Split-50-k_test``
  ~half of the official test images (490 numbers of files in ``test/``),
  each with a ``_label`` list (class index 1..5, one per line, same order) and
  ``_hi`` / ``_lo`` lists (the images with positive / intermediate
  fluorescence intensity). Config ``split_k`` has ``train`` =
  ``Split-50-k_train`` and ``test`` = ``Split-50-k_test``; the class labels of
  the lists are checked against ``labels.csv``.

Labels come from ``labels.csv`` (``path,subset,class_index,class_name,
intensity``), which covers every image; the split lists alone leave 78 images
without a label.
"""

from __future__ import annotations

import dataclasses
import re

import tensorflow_datasets as tfds
from etils import epath

from tfds_builders import _common

NAME = "snphep2"

# class_index 1..5 in labels.csv / split_information -> ClassLabel name. The
# original distribution does not name the classes; these names were inferred
# visually (2, 4, 5 certain; 1 vs 3 very likely).
CLASS_NAMES = ["fine_speckled", "coarse_speckled", "homogeneous", "nucleolar", "centromere"]
INTENSITY_NAMES = ["positive", "intermediate", "unknown"]
CSV_INTENSITY = {"hi": "positive", "lo": "intermediate", "": "unknown"}

LABELS_FILE = "labels.csv"
SPLIT_DIR = "split_information"
CSV_COLUMNS = ("path", "subset", "class_index", "intensity")
SUBSETS = ("train", "test")
NUM_SPLITS = 5

MANUAL_DOWNLOAD_INSTRUCTIONS = """\
SNPHEp-2 cell dataset (Wiliem et al., WACV 2013; University of Queensland and
Sullivan Nicolaides Pathology), official source:
http://staff.itee.uq.edu.au/lovell/snphep2/ . Obtain it there under its terms
(free for research use); it is not redistributed here. Place it in the manual
dir as:

  <manual_dir>/                       (or <manual_dir>/snphep2/)
    train/001.png ... train/905.png   8-bit grayscale cell images
    test/001.png  ... test/979.png
    labels.csv                        one row per image, header
                                      path,subset,class_index,class_name,intensity
                                      e.g. train/001.png,train,1,fine_speckled,hi
                                      (class_index 1..5; intensity hi|lo|empty)
    split_information/                the official Split-50-k lists (k = 1..5):
      Split-50-k_train, Split-50-k_train_label, Split-50-k_train_hi, ..._lo,
      Split-50-k_test,  Split-50-k_test_label,  Split-50-k_test_hi,  ..._lo
                                      (only needed for configs split_1..split_5)
"""


@dataclasses.dataclass(eq=False)
class Snphep2Config(tfds.core.BuilderConfig):
    """``split_index`` None = full official train/test, k = ``Split-50-k``."""

    split_index: int | None = None


def read_labels(root: epath.Path) -> dict[str, dict[str, str]]:
    """Returns ``{"train/001": {"subset", "label", "intensity"}}`` from labels.csv.

    Raises:
      ManualDirError: malformed labels.csv.
    """
    path = root / LABELS_FILE
    rows = _common.read_csv(path, CSV_COLUMNS, NAME, MANUAL_DOWNLOAD_INSTRUCTIONS)

    def bad(row, msg):
        return _common.manual_dir_error(
            NAME, f"{path}:{row['_line']}: {msg}", MANUAL_DOWNLOAD_INSTRUCTIONS)

    out: dict[str, dict[str, str]] = {}
    for row in rows:
        m = re.fullmatch(r"(train|test)/(\d+)\.png", row["path"])
        if not m:
            raise bad(row, f"path {row['path']!r} is not train/NNN.png or test/NNN.png.")
        if row["subset"] != m.group(1):
            raise bad(row, f"subset {row['subset']!r} does not match path {row['path']!r}.")
        ci = row["class_index"]
        if not ci.isdigit() or not 1 <= int(ci) <= len(CLASS_NAMES):
            raise bad(row, f"class_index {ci!r} is not in 1..{len(CLASS_NAMES)}.")
        label = CLASS_NAMES[int(ci) - 1]
        if row.get("class_name") and row["class_name"] != label:
            raise bad(row, f"class_name {row['class_name']!r} does not match "
                      f"class_index {ci} ({label!r}).")
        if row["intensity"] not in CSV_INTENSITY:
            raise bad(row, f"intensity {row['intensity']!r} is not hi, lo or empty.")
        image_id = f"{m.group(1)}/{m.group(2)}"
        if image_id in out:
            raise bad(row, f"duplicate path {row['path']!r}.")
        out[image_id] = {
            "subset": m.group(1),
            "file": row["path"],
            "label": label,
            "intensity": CSV_INTENSITY[row["intensity"]],
        }
    return out


def check_files(root: epath.Path, labels: dict[str, dict[str, str]]) -> None:
    """All labelled files exist and every PNG on disk is labelled."""
    listed = {v["file"] for v in labels.values()}
    present = set()
    for subset in SUBSETS:
        for p in (root / subset).iterdir():
            if p.name.lower().endswith(".png"):
                present.add(f"{subset}/{p.name}")
    missing = sorted(listed - present)
    if missing:
        raise _common.manual_dir_error(
            NAME, f"{len(missing)} image(s) listed in {LABELS_FILE} are missing: "
            f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}",
            MANUAL_DOWNLOAD_INSTRUCTIONS)
    unlisted = sorted(present - listed)
    if unlisted:
        raise _common.manual_dir_error(
            NAME, f"{len(unlisted)} image(s) are not listed in {LABELS_FILE} "
            f"(refusing to drop them silently): {', '.join(unlisted[:10])}"
            f"{' ...' if len(unlisted) > 10 else ''}",
            MANUAL_DOWNLOAD_INSTRUCTIONS)


def _read_list(path: epath.Path) -> list[str]:
    if not path.is_file():
        raise _common.manual_dir_error(
            NAME, f"missing split list {path}.", MANUAL_DOWNLOAD_INSTRUCTIONS)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def read_split_list(
    root: epath.Path, k: int, subset: str, labels: dict[str, dict[str, str]]
) -> list[str]:
    """Image ids (``"<subset>/NNN"``) of ``Split-50-k_<subset>``, validated.

    Checks that each number is an image of ``<subset>/``, that the ``_label``
    list agrees with labels.csv and that the ``_hi``/``_lo`` lists agree with
    its intensity column.

    Raises:
      ManualDirError: on any inconsistency, naming the list file.
    """
    base = root / SPLIT_DIR / f"Split-50-{k}_{subset}"
    numbers = _read_list(base)
    class_idx = _read_list(base.parent / f"{base.name}_label")
    hi = _read_list(base.parent / f"{base.name}_hi")
    lo = _read_list(base.parent / f"{base.name}_lo")

    def bad(msg):
        return _common.manual_dir_error(NAME, msg, MANUAL_DOWNLOAD_INSTRUCTIONS)

    if len(numbers) != len(class_idx):
        raise bad(f"{base} has {len(numbers)} entries but {base.name}_label has "
                  f"{len(class_idx)}.")
    for name, entries in ((base.name, numbers), (f"{base.name}_hi", hi),
                          (f"{base.name}_lo", lo)):
        for entry in entries:
            if not entry.isdigit():
                raise bad(f"{base.parent / name}: entry {entry!r} is not an image "
                          "number.")
    numbers = [int(n) for n in numbers]
    hi, lo = {int(n) for n in hi}, {int(n) for n in lo}
    if len(set(numbers)) != len(numbers):
        raise bad(f"{base} lists an image twice.")
    by_number = {
        int(i.split("/")[1]): i for i, v in labels.items() if v["subset"] == subset
    }
    ids = []
    for number, ci in zip(numbers, class_idx):
        image_id = by_number.get(number)
        if image_id is None:
            raise bad(f"{base}: image {subset}/{number:03d} is not in {LABELS_FILE}.")
        info = labels[image_id]
        if not ci.isdigit() or CLASS_NAMES[int(ci) - 1:int(ci)] != [info["label"]]:
            raise bad(f"{base.name}_label says class {ci!r} for {image_id}, "
                      f"{LABELS_FILE} says {info['label']!r}.")
        intensity = ("positive" if number in hi else
                     "intermediate" if number in lo else "unknown")
        if intensity != info["intensity"]:
            raise bad(f"{base.name}_hi/_lo say {intensity!r} for {image_id}, "
                      f"{LABELS_FILE} says {info['intensity']!r}.")
        ids.append(image_id)
    return sorted(ids)


class Snphep2(tfds.core.GeneratorBasedBuilder):
    """SNPHEp-2: 1,884 HEp-2 cell images, 5 staining patterns."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: config `full` and the five official Split-50-k.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

    BUILDER_CONFIGS = [
        Snphep2Config(
            name="full",
            description="Official train (905) / test (979) sets, disjoint specimens.",
        ),
    ] + [
        Snphep2Config(
            name=f"split_{k}",
            description=(
                f"Official subset Split-50-{k}: ~50 % of the official train set "
                f"(train) and of the official test set (test)."
            ),
            split_index=k,
        )
        for k in range(1, NUM_SPLITS + 1)
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "full"

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 1)),
                "label": tfds.features.ClassLabel(names=CLASS_NAMES),
                "intensity": tfds.features.ClassLabel(names=INTENSITY_NAMES),
                "id": tfds.features.Text(),
            }),
            supervised_keys=("image", "label"),
            homepage="http://staff.itee.uq.edu.au/lovell/snphep2/",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        k = self.builder_config.split_index
        required = [LABELS_FILE, "train/", "test/"] + ([SPLIT_DIR + "/"] if k else [])
        root = _common.resolve_manual_dir(
            dl_manager, NAME, MANUAL_DOWNLOAD_INSTRUCTIONS, required)
        labels = read_labels(root)
        check_files(root, labels)
        if k is None:
            split_ids = {
                subset: sorted(i for i, v in labels.items() if v["subset"] == subset)
                for subset in SUBSETS
            }
        else:
            split_ids = {
                subset: read_split_list(root, k, subset, labels) for subset in SUBSETS
            }
        return {
            split: self._generate_examples(root, [(i, labels[i]) for i in ids])
            for split, ids in split_ids.items()
        }

    def _generate_examples(self, root: epath.Path, items):
        for image_id, info in items:
            image, _ = _common.gray_png_bytes(root / info["file"])
            yield image_id, {
                "image": image,
                "label": info["label"],
                "intensity": info["intensity"],
                "id": image_id,
            }
