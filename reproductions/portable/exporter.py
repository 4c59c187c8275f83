"""``export`` (TensorFlow side): a paper's prepared splits as a bundle.

The splits are prepared by the paper's own command, as a run of it would
(``experiment.setup`` resolves and prepares the dataset -- ``--manual-dir``,
``../shared/data`` or the synthetic one -- and the paper's ``load`` reads and
preprocesses the splits with the profile's subsets), so a bundle holds
exactly the images the TensorFlow runs of that profile train and test on,
with the facts their results record about the data (``split_ids_sha256``,
split sizes used, Table 2's augmented counts ...).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from reproductions.common import provenance
from reproductions.portable import bundle as bundle_lib
from reproductions.portable import papers


def export(paper: str, profile: str, out: Path, data_args: list[str]) -> dict:
    """Writes the bundle of ``paper`` / ``profile`` to ``out``; returns its manifest.
    ``data_args``: the paper command's data options (``--data``,
    ``--manual-dir``, ``--data-dir``)."""
    from reproductions.common import experiment

    recipe = papers.recipe(paper)
    spec = papers.reproduction(paper)
    with tempfile.TemporaryDirectory() as tmp:  # the command's results store: thrown away
        ctx = experiment.setup(spec, ["--profile", profile, "--output-dir", f"{tmp}/out",
                                      "--work-dir", f"{tmp}/work", *data_args])
        ctx.log("loading and preprocessing the splits, as the paper's command does")
        spec.hook("load")(ctx)
        image_sets, extra_arrays, extra_manifest = recipe.export(ctx)
        datasets = ctx.store.datasets
        manifest = {
            "paper": paper, "profile": ctx.profile.name,
            "data_settings": recipe.data_settings(ctx.profile),
            "datasets": datasets, "synthetic": ctx.synthetic, "user_data": ctx.user_data,
            **extra_manifest,
            "provenance": provenance.collect()}
        written = bundle_lib.write(Path(out), image_sets=image_sets, extra_arrays=extra_arrays,
                                   manifest=manifest)
    sizes = ", ".join(f"{k} {v['examples']}" for k, v in written["splits"].items())
    ctx.log(f"wrote {out}: {written['file']['bytes'] / 2**20:.1f} MiB ({sizes} examples; "
            f"image sets {', '.join(written['image_sets'])}, "
            f"{'x'.join(map(str, written['image_shape']))} uint8)")
    return written
