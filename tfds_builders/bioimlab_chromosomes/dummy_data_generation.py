"""Regenerates ``dummy_data/`` (synthetic images in the BioImLab layout).

    python -m tfds_builders.bioimlab_chromosomes.dummy_data_generation

16 karyotypes (8 male, 8 female) with 3 chromosomes each (the real ones have
46), bright blobs on black BMPs; karyotype 2 uses the padded 100x200 canvas
and one file is stored as RGB with R=G=B, as in the real data. Also writes
manifest.csv with md5s. No real data is used.
"""

import hashlib
import pathlib

import cv2
import numpy as np

OUT = pathlib.Path(__file__).parent / "dummy_data"
CLASS_NAMES = [str(i) for i in range(1, 23)] + ["X", "Y"]


def chromosome(rng: np.random.Generator, padded: bool) -> np.ndarray:
    h, w = int(rng.integers(14, 40)), int(rng.integers(8, 16))
    yy, xx = np.mgrid[:h, :w]
    body = np.exp(-(((xx - w / 2) / (w / 3)) ** 2)) * (0.6 + 0.4 * np.cos(yy / 2.0) ** 2)
    img = np.clip(180 * body, 0, 255).astype(np.uint8)
    canvas = np.zeros((h + 6, w + 6), np.uint8)
    canvas[3:3 + h, 3:3 + w] = img
    canvas[0, 0] = 2  # faint background noise, as in the real files
    if padded:
        big = np.zeros((200, 100), np.uint8)
        big[40:40 + canvas.shape[0], 30:30 + canvas.shape[1]] = canvas
        big[190, 90] = 3
        return big
    return canvas


def main() -> None:
    rng = np.random.default_rng(2008)
    root = OUT / "single_chromosomes"
    rows = ["path,karyotype,class_index,label,copy,width,height,mode,padded_100x200,max_pixel,md5"]
    for k in range(1, 17):
        male = k % 2 == 0
        files = [(1, "a"), (23, ""), (24, "")] if male else [(1, "a"), (1, "b"), (23, "a")]
        kdir = root / str(k)
        kdir.mkdir(parents=True, exist_ok=True)
        for cls, copy in files:
            padded = k == 2
            img = chromosome(rng, padded)
            rgb = k == 3 and cls == 1 and copy == "b"
            name = f"{k} {cls}{copy}.bmp"
            cv2.imwrite(str(kdir / name), cv2.merge([img, img, img]) if rgb else img)
            data = (kdir / name).read_bytes()
            rows.append(",".join([
                f"single_chromosomes/{k}/{name}", str(k), str(cls), CLASS_NAMES[cls - 1],
                copy or "-", str(img.shape[1]), str(img.shape[0]), "RGB" if rgb else "L",
                str(int(padded)), str(int(img.max())), hashlib.md5(data).hexdigest(),
            ]))
    (OUT / "manifest.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
