"""Regenerates ``dummy_data/`` (synthetic images in the I3A Task 1 layout).

    python -m tfds_builders.i3a_task1.dummy_data_generation

30 cells (5 per class) with masks and gt_training.csv. No real data is used.
Like the real set, the data holds one pixel duplicate whose files differ:
NuMem cell 24 has the pixels of cell 22 (image and mask) but its PNG files
carry an extra ``tEXt`` chunk, so a hash of the file bytes does not see it.
"""

import pathlib
import struct
import zlib

import cv2
import numpy as np

OUT = pathlib.Path(__file__).parent / "dummy_data"
CSV_CLASSES = ["Homogeneous", "Speckled", "Nucleolar", "Centromere", "NuMem", "Golgi"]
PER_CLASS = 5
DUPLICATE = (22, 24)  # (original, copy): same pixels, different PNG metadata


def png_with_text(path: pathlib.Path, key: str, value: str) -> bytes:
    """The PNG file's bytes with a ``tEXt`` chunk inserted after ``IHDR``."""
    data = path.read_bytes()
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    body = b"tEXt" + key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return data[:ihdr_end] + chunk + data[ihdr_end:]


def main() -> None:
    rng = np.random.default_rng(2014)
    (OUT / "training").mkdir(parents=True, exist_ok=True)
    rows = ["Image ID,Image class"]
    image_id = 0
    for cls in CSV_CLASSES:
        for _ in range(PER_CLASS):
            image_id += 1
            h, w = rng.integers(24, 40, size=2)
            yy, xx = np.mgrid[:h, :w]
            r2 = ((yy - h / 2) / (h / 2.5)) ** 2 + ((xx - w / 2) / (w / 2.5)) ** 2
            mask = np.where(r2 <= 1, 255, 0).astype(np.uint8)
            # low dynamic range like the real data (values ~10..40)
            img = np.clip(10 + 25 * (r2 <= 1) * rng.random((h, w)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(OUT / "training" / f"{image_id:05d}.png"), img)
            cv2.imwrite(str(OUT / "training" / f"{image_id:05d}_Mask.png"), mask)
            rows.append(f"{image_id},{cls}")
    original, copy = DUPLICATE
    for suffix in ("", "_Mask"):
        src = OUT / "training" / f"{original:05d}{suffix}.png"
        (OUT / "training" / f"{copy:05d}{suffix}.png").write_bytes(
            png_with_text(src, "Comment", f"copy of {original:05d}{suffix}.png"))
    (OUT / "gt_training.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
