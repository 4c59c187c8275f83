"""Regenerates ``dummy_data/`` (synthetic images in the SNPHEp-2 layout).

    python -m tfds_builders.snphep2.dummy_data_generation

10 train + 10 test images (2 per class), labels.csv and the five Split-50-k
lists (one image per class and subset each). No real data is used.
"""

import pathlib

import cv2
import numpy as np

OUT = pathlib.Path(__file__).parent / "dummy_data"
CLASS_NAMES = ["fine_speckled", "coarse_speckled", "homogeneous", "nucleolar", "centromere"]
INTENSITIES = ["hi", "lo", "", "hi", "lo", "hi", "lo", "hi", "", "lo"]


def make_cell(rng: np.random.Generator) -> np.ndarray:
    h, w = rng.integers(20, 40, size=2)
    yy, xx = np.mgrid[:h, :w]
    blob = np.exp(-(((yy - h / 2) / (h / 3)) ** 2 + ((xx - w / 2) / (w / 3)) ** 2))
    img = 200 * blob + rng.normal(0, 8, size=(h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def main() -> None:
    rng = np.random.default_rng(2013)
    rows = ["path,subset,class_index,class_name,intensity"]
    entries = {"train": [], "test": []}
    for subset in ("train", "test"):
        (OUT / subset).mkdir(parents=True, exist_ok=True)
        for i in range(10):
            cls = i // 2 + 1
            name = f"{i + 1:03d}"
            cv2.imwrite(str(OUT / subset / f"{name}.png"), make_cell(rng))
            intensity = INTENSITIES[i]
            rows.append(f"{subset}/{name}.png,{subset},{cls},{CLASS_NAMES[cls - 1]},{intensity}")
            entries[subset].append((name, cls, intensity))
    (OUT / "labels.csv").write_text("\n".join(rows) + "\n")
    split_dir = OUT / "split_information"
    split_dir.mkdir(exist_ok=True)
    for k in range(1, 6):
        for subset, items in entries.items():
            # one of the two images of each class, alternating with k
            chosen = [items[2 * c + (k + c) % 2] for c in range(5)]
            base = f"Split-50-{k}_{subset}"
            hi = [e for e in chosen if e[2] == "hi"]
            lo = [e for e in chosen if e[2] == "lo"]
            files = {
                base: [n + " " for n, _, _ in chosen],
                base + "_label": [str(c) for _, c, _ in chosen],
                base + "_hi": [n + " " for n, _, _ in hi],
                base + "_lo": [n + " " for n, _, _ in lo],
                base + "_label_hi": [f"{c:03d} " for _, c, _ in hi],
                base + "_label_lo": [f"{c:03d} " for _, c, _ in lo],
            }
            for fname, lines in files.items():
                (split_dir / fname).write_text("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    main()
