"""BioImLab Q-band chromosome set (Poletti, Grisan & Ruggeri): TFDS builder ``bioimlab_chromosomes``.

5,474 single chromosomes of 119 karyotypes (46 each). The builder reads the
folder itself (``single_chromosomes/<karyotype>/<karyotype> <class><a|b>.bmp``);
``manifest.csv`` is optional: when present it is used as a check (same file
list, same karyotype / class / copy, and the md5 of every file).

Preprocessing: each image is converted to one 8-bit channel (RGB files with
R = G = B are reduced to one channel) and cropped to the chromosome's bounding
box (see :func:`crop_to_chromosome`): 27 karyotypes put small chromosomes on a
padded 100×200 black canvas, the others are already tight crops.

Splits are grouped by karyotype (no karyotype in two splits) and stratified by
sex (male karyotypes are the ones with a Y chromosome): within each sex the
karyotypes are ordered by ``sha256("<salt>:<sex>:<karyotype>")`` and cut into
blocks of ``round(n · 4176/5256)`` (train), ``round(n · 360/5256)``
(validation) and the rest (test), the proportions of the Super-Xception paper
(4,176 / 360 / 720 of 5,256 images). With 45 male and 74 female karyotypes
this gives 36 + 59 = 95 / 3 + 5 = 8 / 6 + 10 = 16 karyotypes, i.e. 4,370 /
368 / 736 images, and a Y chromosome in every split.
"""

from __future__ import annotations

import collections
import hashlib
import re

import cv2
import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from tfds_builders import _common

NAME = "bioimlab_chromosomes"

CLASS_NAMES = [str(i) for i in range(1, 23)] + ["X", "Y"]
IMAGE_DIR = "single_chromosomes"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("path", "karyotype", "class_index", "copy")

# Super-Xception (Swati et al. 2019): 4,176 / 360 / 720 of 5,256 images.
PAPER_SPLIT = (("train", 4176), ("validation", 360), ("test", 720))
SPLIT_FRACTIONS = tuple((name, n / 5256) for name, n in PAPER_SPLIT)

# Cropping: foreground = pixels >= CROP_REL_THRESHOLD * image max; connected
# components (8-connectivity) smaller than CROP_MIN_COMPONENT * the largest
# one (specks, fragments of neighbouring chromosomes) are ignored.
CROP_REL_THRESHOLD = 0.15
CROP_MIN_COMPONENT = 0.05

_FILE_RE = re.compile(r"^(?P<karyotype>.+) (?P<cls>\d{1,2})(?P<copy>[ab]?)\.bmp$", re.I)
_IGNORED = {"thumbs.db", "desktop.ini"}
_SALT = "bioimlab_chromosomes-v1"

MANUAL_DOWNLOAD_INSTRUCTIONS = """\
BioImLab chromosome classification data set (Q-band, 119 karyotypes, Poletti,
Grisan & Ruggeri, University of Padova), official source: the BioImLab web
site, http://bioimlab.dei.unipd.it/ ("Chromosome Data Set"; Swati et al. cite
http://bioimlab.dei.unipd.it/Chromosome%20Data%20Set%204Seg.htm). Obtain it
there under its terms (free for research use); it is not redistributed here.
Place it in the manual dir as:

  <manual_dir>/                      (or <manual_dir>/bioimlab_chromosomes/)
    single_chromosomes/
      1/1 1a.bmp, 1/1 1b.bmp, ...    <karyotype>/<karyotype> <class><copy>.bmp
      ...                            class 1..22, 23 = X, 24 = Y; copy a|b
                                     (no copy letter for the male X and Y)
    manifest.csv                     optional; if present it is checked:
                                     path,karyotype,class_index,label,copy,...,md5
"""


def _bad(msg: str) -> _common.ManualDirError:
    return _common.manual_dir_error(NAME, msg, MANUAL_DOWNLOAD_INSTRUCTIONS)


def _sort_key(name: str):
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def scan_files(root: epath.Path) -> list[dict[str, str]]:
    """Lists the chromosome files; returns dicts with path, karyotype, label, copy, id.

    Raises:
      ManualDirError: a file that does not follow the naming scheme, a class
        outside 1..24, or a karyotype folder without files.
    """
    records = []
    image_root = root / IMAGE_DIR
    karyotypes = sorted((p for p in image_root.iterdir() if p.is_dir()),
                        key=lambda p: _sort_key(p.name))
    if not karyotypes:
        raise _bad(f"{image_root} contains no karyotype folders.")
    for kdir in karyotypes:
        count = 0
        for f in sorted(kdir.iterdir(), key=lambda p: p.name):
            if f.name.startswith(".") or f.name.lower() in _IGNORED:
                continue
            m = _FILE_RE.match(f.name)
            if not m or m.group("karyotype") != kdir.name:
                raise _bad(f"unexpected file {f} (expected "
                           f"'{kdir.name} <class><a|b>.bmp').")
            cls = int(m.group("cls"))
            if not 1 <= cls <= 24:
                raise _bad(f"{f}: class {cls} is not in 1..24.")
            stem = f.name[:-len(".bmp")]
            records.append({
                "path": f"{IMAGE_DIR}/{kdir.name}/{f.name}",
                "karyotype": kdir.name,
                "label": CLASS_NAMES[cls - 1],
                "copy": m.group("copy").lower(),
                "id": f"{kdir.name}/{stem}",
            })
            count += 1
        if not count:
            raise _bad(f"karyotype folder {kdir} contains no images.")
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        dup = [i for i, n in collections.Counter(ids).items() if n > 1]
        raise _bad(f"duplicate chromosome file names (case?): {dup[:5]}")
    return records


def check_manifest(root: epath.Path, records: list[dict[str, str]]) -> dict[str, str]:
    """Checks the optional manifest.csv against the scanned files.

    Returns:
      ``{relative path: md5}`` (empty if there is no manifest or no md5 column).

    Raises:
      ManualDirError: files missing from disk or manifest, or disagreeing
        karyotype / class / copy.
    """
    path = root / MANIFEST
    if not path.exists():
        return {}
    rows = _common.read_csv(path, MANIFEST_COLUMNS, NAME, MANUAL_DOWNLOAD_INSTRUCTIONS)
    by_path = {r["path"]: r for r in records}
    listed = {row["path"] for row in rows}
    missing = sorted(listed - set(by_path))
    if missing:
        raise _bad(f"{len(missing)} file(s) listed in {path} are missing: "
                   f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    unlisted = sorted(set(by_path) - listed)
    if unlisted:
        raise _bad(f"{len(unlisted)} file(s) are not listed in {path}: "
                   f"{', '.join(unlisted[:10])}{' ...' if len(unlisted) > 10 else ''}")
    md5 = {}
    for row in rows:
        rec = by_path[row["path"]]
        copy = "" if row["copy"] in ("", "-") else row["copy"]
        ci = row["class_index"]
        if (row["karyotype"] != rec["karyotype"] or copy != rec["copy"]
                or not ci.isdigit() or CLASS_NAMES[int(ci) - 1:int(ci)] != [rec["label"]]):
            raise _bad(f"{path}:{row['_line']}: karyotype/class/copy "
                       f"({row['karyotype']}, {ci}, {row['copy']}) disagree with the "
                       f"file name {row['path']!r}.")
        if row.get("md5"):
            md5[row["path"]] = row["md5"].lower()
    return md5


def split_karyotypes(records: list[dict[str, str]]) -> dict[str, list[str]]:
    """Deterministic sex-stratified karyotype split (see module docstring)."""
    by_karyotype = collections.defaultdict(set)
    for r in records:
        by_karyotype[r["karyotype"]].add(r["label"])
    strata = collections.defaultdict(list)
    for k, labels in by_karyotype.items():
        strata["male" if "Y" in labels else "female"].append(k)
    out = _common.stratified_assignment(strata, SPLIT_FRACTIONS, salt=_SALT)
    return {s: sorted(ks, key=_sort_key) for s, ks in out.items()}


def crop_to_chromosome(img: np.ndarray) -> np.ndarray:
    """Crops a bright-on-black chromosome image to the chromosome's bounding box.

    Foreground = pixels ``>= max(1, CROP_REL_THRESHOLD * img.max())``; the box
    is the union of the 8-connected foreground components that have at least
    ``CROP_MIN_COMPONENT`` times the area of the largest one. A relative
    threshold copes with the per-karyotype brightness scaling; dropping small
    components ignores specks and bits of neighbouring chromosomes that some
    padded canvases contain.

    Raises:
      ValueError: the image is entirely black.
    """
    peak = int(img.max())
    if peak == 0:
        raise ValueError("image is entirely black (no chromosome)")
    fg = (img >= max(1, int(CROP_REL_THRESHOLD * peak))).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    areas = stats[1:n, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= CROP_MIN_COMPONENT * areas.max()) + 1
    x0 = stats[keep, cv2.CC_STAT_LEFT].min()
    y0 = stats[keep, cv2.CC_STAT_TOP].min()
    x1 = (stats[keep, cv2.CC_STAT_LEFT] + stats[keep, cv2.CC_STAT_WIDTH]).max()
    y1 = (stats[keep, cv2.CC_STAT_TOP] + stats[keep, cv2.CC_STAT_HEIGHT]).max()
    return np.ascontiguousarray(img[y0:y1, x0:x1])


class BioimlabChromosomes(tfds.core.GeneratorBasedBuilder):
    """BioImLab Q-band chromosomes: 5,474 images, 24 classes, 119 karyotypes."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: cropped images, karyotype-grouped splits.",
    }
    MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(None, None, 1)),
                "label": tfds.features.ClassLabel(names=CLASS_NAMES),
                "karyotype": tfds.features.Text(),
                "copy": tfds.features.Text(),
                "id": tfds.features.Text(),
            }),
            supervised_keys=("image", "label"),
            homepage="http://bioimlab.dei.unipd.it/",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = _common.resolve_manual_dir(
            dl_manager, NAME, MANUAL_DOWNLOAD_INSTRUCTIONS, [IMAGE_DIR + "/"])
        records = scan_files(root)
        md5 = check_manifest(root, records)
        splits = split_karyotypes(records)
        return {
            split: self._generate_examples(
                root, [r for r in records if r["karyotype"] in set(ks)], md5)
            for split, ks in splits.items()
        }

    def _generate_examples(self, root: epath.Path, records, md5):
        for rec in records:
            path = root / rec["path"]
            try:
                data = path.read_bytes()
            except Exception as e:  # pylint: disable=broad-except
                raise _common.CorruptImageError(
                    f"cannot read image file {path}: {e}") from e
            expected = md5.get(rec["path"])
            if expected and hashlib.md5(data).hexdigest() != expected:
                raise _common.CorruptImageError(
                    f"image file {path} does not match the md5 in {MANIFEST} "
                    "(corrupt or modified file).")
            img = _common.read_gray_image(path, data)
            try:
                img = crop_to_chromosome(img)
            except ValueError as e:
                raise _common.CorruptImageError(f"image file {path}: {e}.") from e
            yield rec["id"], {
                "image": _common.encode_png(img, path),
                "label": rec["label"],
                "karyotype": rec["karyotype"],
                "copy": rec["copy"],
                "id": rec["id"],
            }
