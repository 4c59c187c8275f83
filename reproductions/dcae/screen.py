"""The follow-up rule of the DCAE cell-level verdict experiment
(``reproductions/dcae/NOTES.md``, *Follow-up rule*), on validation cells only::

    python -m reproductions.dcae.screen --manual-dir ../shared/data/snphep2

Two factors of the autoencoder, in this order: its width (Table I's maps × 1/4
as run, against × 1/2), then where Conv5 reads (after Pool 4 as run, against
before it, ``models.DCAE(conv5_input=...)``) at the width the first step
chose. A variant is screened on seed 0 against the setting it would replace:
the DCAE + ANN's validation ACA at its tested epoch (the ANN's lowest
validation loss), on the validation cells of that seed's cell-level training
set. A variant at least :data:`MARGIN` points ahead there is run on seeds 1
and 2, and adopted only if it is ahead on all three seeds.

The as-run setting's values are read from the ``cell_level`` profile's stored
runs (``--baseline``, default ``results/dcae/cell_level``; the split of each
seed is checked against the run's recorded ids hash); every other setting is
trained here with the cell_level profile's protocol, the same calls as
``python -m reproductions.dcae`` (autoencoder, Conv5 features, ANN).

**The test cells are never scored.** Their images are dropped as soon as the
split's ids hash is taken, before a network is built; the records hold
validation numbers only. The adopted setting (if any) is scored on the test
cells afterwards, as a profile of the main command of its own, once this
choice is committed.

Each call runs what the rule asks next, until it is decided (``--max-runs``
stops earlier; ``--plan`` only says what is next). Stored runs are skipped;
an interrupted one resumes from ``~/.cache/hep2repro/dcae/screen-<tag>/``.
Writes ``screen.json`` and ``README.md`` (the decision and every value
behind it) to ``--output-dir`` (default ``results/dcae/cell_level_screen``).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Callable, Mapping

from reproductions.common import tf_runtime
from reproductions.common.errors import UserError
from reproductions.common.provenance import REPO_ROOT

#: Points of validation ACA a variant must gain on seed 0 to be run on more seeds.
MARGIN = 2.0
SCREEN_SEED = 0
CONFIRM_SEEDS = (1, 2)
#: The factors in the rule's order: (settings field, the alternative value).
ALTERNATIVES = (("width", 0.5), ("conv5_input", "conv4"))
BASE_PROFILE = "cell_level"
ANN_ROW, AUTOENCODER = "dcae", "dcae_autoencoder"
OUTPUT = REPO_ROOT / "results" / "dcae" / "cell_level_screen"
BASELINE = REPO_ROOT / "results" / "dcae" / "cell_level"
CACHE = Path.home() / ".cache" / "hep2repro" / "dcae"


def setting_key(setting: Mapping) -> str:
    """``"width=0.25,conv5_input=pool4"``: a setting as the records key it."""
    return ",".join(f"{k}={setting[k]}" for k in ("width", "conv5_input"))


def describe(setting: Mapping) -> str:
    conv5 = "after Pool 4" if setting["conv5_input"] == "pool4" else "before Pool 4"
    return f"width {setting['width']:g} of Table I's maps, Conv5 {conv5}"


@dataclasses.dataclass
class Step:
    """One factor of the rule: its baseline and candidate settings, the
    validation ACA (%) of each on the seeds read so far, and its outcome
    (``None`` while undecided)."""

    factor: str
    baseline: dict
    candidate: dict
    values: dict = dataclasses.field(default_factory=dict)  # seed -> (candidate, baseline)
    outcome: str | None = None
    adopted: bool = False


def decide(value: Callable[[dict, int], float | None], as_run: dict
           ) -> tuple[list[Step], tuple[dict, int] | None]:
    """Walks the rule with ``value(setting, seed)`` (validation ACA in %, or
    ``None`` when not stored yet). Returns the steps so far and the next
    ``(setting, seed)`` to run, ``None`` once every factor is decided."""
    current, steps = dict(as_run), []
    for factor, alternative in ALTERNATIVES:
        step = Step(factor, dict(current), {**current, factor: alternative})
        steps.append(step)
        for seed in (SCREEN_SEED,) + CONFIRM_SEEDS:
            for setting in (step.baseline, step.candidate):  # a missing as-run value first
                if value(setting, seed) is None:
                    return steps, (setting, seed)
            step.values[seed] = (value(step.candidate, seed), value(step.baseline, seed))
            gain = step.values[seed][0] - step.values[seed][1]
            if seed == SCREEN_SEED and gain < MARGIN:
                step.outcome = (f"not adopted: {gain:+.2f} points on seed {seed}, less than "
                                f"the {MARGIN:g}-point margin")
                break
        else:
            behind = [s for s, (c, b) in step.values.items() if c <= b]
            step.adopted = not behind
            step.outcome = ("adopted: ahead on seeds " + ", ".join(map(str, step.values))
                            if step.adopted else "not adopted: not ahead on seed(s) "
                            + ", ".join(map(str, behind)))
        if step.adopted:
            current = dict(step.candidate)
    return steps, None


# --- values -----------------------------------------------------------------
def validation_aca(history: Mapping, best_epoch: int) -> float:
    """The ANN's validation accuracy (= ACA) at its tested epoch, in %."""
    return 100 * float(history["val_accuracy"][best_epoch])


def baseline_values(path: Path, profile, split_ids: Callable[[int], Mapping]) -> dict[int, float]:
    """Seed -> validation ACA of the cell_level profile's stored DCAE runs
    (``path``: its results folder), each checked to have the protocol of
    ``profile`` and the cells ``split_ids(seed)`` gives."""
    from reproductions.common.store import protocol_fields

    results = Path(path) / "results.json"
    if not results.is_file():
        return {}
    data = json.loads(results.read_text())
    if (data.get("profile", {}).get("name") != profile.name
            or protocol_fields(data["profile"]) != protocol_fields(profile.to_json())):
        raise UserError(f"{results} holds runs of another protocol than the "
                        f"{profile.name!r} profile; pass --baseline with that profile's "
                        "results folder.")
    out = {}
    for run in data.get("runs", []):
        if run["row"] != ANN_ROW or run.get("variant"):
            continue
        recorded = run.get("cell_level_split", {}).get("ids_sha256", {})
        ours = split_ids(run["seed"])
        if any(recorded.get(part) != ours[part] for part in ("train", "validation")):
            raise UserError(f"{results}: the DCAE run of seed {run['seed']} was trained on "
                            "other cells than this command's split of that seed (the split "
                            "or the dataset changed): the two cannot be compared.")
        out[run["seed"]] = validation_aca(run["history"], run["best_epoch"])
    return out


# --- one run ------------------------------------------------------------------
def train_setting(builder, profile, setting: Mapping, seed: int, work_dir: Path,
                  verbose="auto") -> dict:
    """Trains the autoencoder and the ANN of ``setting`` on ``seed``'s
    cell-level split (the main command's calls and protocol) and returns the
    run's record: validation numbers only."""
    from reproductions.common import data as data_lib
    from reproductions.common import provenance, training
    from reproductions.dcae import data, models, protocol
    from reproductions.dcae.__main__ import predict  # the main command's feature pass

    settings = profile.settings.replace(**setting)
    size = profile.image_size
    split = data.load_splits(builder, size, pad=True, subset=profile.subset,
                             seed=profile.seeds[0],
                             validation_fraction=settings.validation_fraction,
                             cell_level_seed=seed)
    identity = split.identity()
    split = dataclasses.replace(split, test=None)  # never scored here
    run_dir = work_dir / setting_key(setting).replace("=", "-").replace(",", "_")
    training.set_determinism(seed)
    autoencoder = models.DCAE(input_shape=(size, size, 1), width=settings.width,
                              latent_dim=settings.latent_dim,
                              conv5_input=settings.conv5_input)
    protocol.compile_autoencoder(autoencoder, settings.ae_learning_rate, settings.run_eagerly)
    ae = training.train(
        autoencoder, split.train, split.validation, run_dir=run_dir / f"{AUTOENCODER}-seed{seed}",
        epochs=profile.epochs_for(AUTOENCODER), batch_size=profile.batch_size, seed=seed,
        targets=protocol.reconstruction_target, early_stopping_patience=profile.patience,
        verbose=verbose, tensorboard=False)
    encoder = models.encoder(autoencoder)
    latent = {}
    for name in ("train", "validation"):
        part = getattr(split, name)
        latent[name] = data_lib.ArraySplit(
            predict(encoder, part.images, profile.batch_size), part.labels,
            part.ids, part.class_names)
    training.set_determinism(seed)
    ann = models.MLP(input_dim=latent["train"].images.shape[1],
                     classes=len(split.train.class_names))
    ann.get_layer("feature_norm").adapt(latent["train"].images)
    protocol.compile_classifier(ann, settings.run_eagerly)
    fitted = training.train(
        ann, latent["train"], latent["validation"], run_dir=run_dir / f"{ANN_ROW}-seed{seed}",
        epochs=profile.epochs_for(ANN_ROW), batch_size=profile.batch_size, seed=seed,
        early_stopping_patience=profile.patience_for(ANN_ROW), verbose=verbose,
        tensorboard=False)
    return {"setting": dict(setting), "key": setting_key(setting), "seed": seed,
            "validation_aca": validation_aca(fitted.history, fitted.best_epoch),
            "validation_cells": len(split.validation),
            "cell_level_split": {"seed": seed, **identity},
            "autoencoder": {"parameters": autoencoder.count_params(),
                            "best_val_mse": float(min(ae.history["val_loss"])),
                            **_outcome(ae)},
            "ann": _outcome(fitted),
            "provenance": provenance.collect(sys.argv)}


def _outcome(outcome) -> dict:
    return {"epochs": outcome.epochs, "best_epoch": outcome.best_epoch,
            "stopped_by": outcome.stopped_by, "wall_time_s": round(outcome.wall_time_s, 1)}


# --- the command ----------------------------------------------------------------
def screen(builder, profile, *, output_dir: Path, baseline: Path, work_dir: Path,
           max_runs: int | None = None, plan_only: bool = False, log=print,
           verbose="auto") -> tuple[list[Step], tuple[dict, int] | None]:
    """Runs the rule until it is decided, ``max_runs`` runs were trained, or
    (``plan_only``) not at all; writes ``screen.json`` and ``README.md``.
    Returns the steps and what is next."""
    from reproductions.common.store import atomic_write
    from reproductions.dcae import data

    output_dir = Path(output_dir)
    path = output_dir / "screen.json"
    stored = json.loads(path.read_text()) if path.is_file() else {"runs": []}
    protocol_json = json.loads(json.dumps(profile.to_json()))
    if stored.get("profile") not in (None, protocol_json):
        raise UserError(f"{path} holds a screen of another protocol; pass another "
                        "--output-dir.")
    ids_cache: dict[int, Mapping] = {}

    def split_ids(seed: int) -> Mapping:
        if seed not in ids_cache:
            cells = data.load_splits(builder, profile.settings.feature_size, pad=False,
                                     subset=profile.subset, seed=profile.seeds[0],
                                     validation_fraction=profile.settings.validation_fraction,
                                     cell_level_seed=seed)
            ids_cache[seed] = cells.identity()["ids_sha256"]
        return ids_cache[seed]

    as_run = {"width": profile.settings.width, "conv5_input": profile.settings.conv5_input}
    base = baseline_values(baseline, profile, split_ids)

    def value(setting, seed):
        if setting == as_run:
            return base.get(seed)
        found = [r for r in stored["runs"] if r["key"] == setting_key(setting)
                 and r["seed"] == seed]
        return found[0]["validation_aca"] if found else None

    trained = 0
    while True:
        steps, following = decide(value, as_run)
        if following is None or plan_only or (max_runs is not None and trained >= max_runs):
            break
        setting, seed = following
        if setting == as_run:
            raise UserError(
                f"the rule needs the as-run DCAE of seed {seed} (validation ACA), which "
                f"{baseline}/results.json does not hold yet: run `python -m reproductions.dcae "
                f"--profile {profile.name} --manual-dir ... --output-dir {baseline}` first.")
        log(f"[{time.strftime('%H:%M:%S')}] training {describe(setting)}, seed {seed} "
            "(validation only)")
        record = train_setting(builder, profile, setting, seed, work_dir, verbose)
        if record["cell_level_split"]["ids_sha256"]["validation"] != split_ids(seed)["validation"]:
            raise RuntimeError("the run's validation cells differ from the split's")
        stored = {"profile": protocol_json, "runs": stored["runs"] + [record]}
        output_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(stored, indent=1) + "\n")
        trained += 1
        log(f"[{time.strftime('%H:%M:%S')}] {describe(setting)}, seed {seed}: validation ACA "
            f"{record['validation_aca']:.2f} %")
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"profile": protocol_json, "runs": stored["runs"]},
                                  indent=1) + "\n")
    (output_dir / "README.md").write_text(render(steps, following, as_run, stored["runs"],
                                                 base, profile))
    return steps, following


def next_text(following: tuple[dict, int], as_run: Mapping, profile_name: str) -> str:
    setting, seed = following
    if setting == as_run:
        return (f"the as-run DCAE of seed {seed}, a run of `python -m reproductions.dcae "
                f"--profile {profile_name}` (not stored yet)")
    return f"{describe(setting)}, seed {seed} (trained by this command)"


def render(steps, following, as_run, runs, base, profile) -> str:
    lines = [
        "# DCAE on the cell-level split: the follow-up rule, on validation cells only",
        "",
        "Written by `python -m reproductions.dcae.screen` from `screen.json` and the "
        f"`{profile.name}` profile's stored runs (do not edit by hand). The rule, fixed "
        "before any of these runs, is in `reproductions/dcae/NOTES.md` (*Follow-up rule*): "
        "each factor's variant is screened on seed 0 by the DCAE + ANN's validation ACA at "
        f"its tested epoch; one at least {MARGIN:g} points ahead runs on seeds "
        f"{', '.join(map(str, CONFIRM_SEEDS))} and is adopted only if it is ahead on all "
        "three. **No test cell was scored for this table.**",
        "",
        f"As run (the `{profile.name}` profile): {describe(as_run)}.",
        "",
        "| factor | setting | seed | candidate validation ACA (%) | baseline validation ACA "
        "(%) | candidate − baseline |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for step in steps:
        for seed, (cand, bl) in step.values.items():
            lines.append(f"| {step.factor} | {describe(step.candidate)} vs "
                         f"{describe(step.baseline)} | {seed} | {cand:.2f} | {bl:.2f} | "
                         f"{cand - bl:+.2f} |".replace("+-", "−"))
    lines.append("")
    for step in steps:
        lines.append(f"- **{step.factor}**: {describe(step.candidate)} against "
                     f"{describe(step.baseline)}: {step.outcome or 'undecided'}.")
    if following is None:
        final = steps[-1].candidate if steps[-1].adopted else steps[-1].baseline
        lines += ["", "**Decided.** " + (
            f"Adopted setting: {describe(final)}; it is scored on the test cells next, as a "
            "profile of `python -m reproductions.dcae` of its own beside the as-run rows."
            if final != as_run else
            "No variant is adopted: the as-run setting stays, and no further row is scored.")]
    else:
        lines += ["", f"**Next:** {next_text(following, as_run, profile.name)}."]
    lines += ["", "## Runs", "",
              "| setting | seed | validation ACA (%) | autoencoder epochs (best) | best "
              "validation MSE | ANN epochs (best) | parameters | minutes |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for seed, value in sorted(base.items()):
        lines.append(f"| {describe(as_run)} (the `{profile.name}` runs) | {seed} | "
                     f"{value:.2f} | | | | | |")
    for r in runs:
        ae, ann = r["autoencoder"], r["ann"]
        minutes = (ae["wall_time_s"] + ann["wall_time_s"]) / 60
        lines.append(f"| {describe(r['setting'])} | {r['seed']} | {r['validation_aca']:.2f} | "
                     f"{ae['epochs']} ({ae['best_epoch'] + 1}) | {ae['best_val_mse']:.4f} | "
                     f"{ann['epochs']} ({ann['best_epoch'] + 1}) | {ae['parameters']:,} | "
                     f"{minutes:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    tf_runtime.command_environment()
    parser = argparse.ArgumentParser(
        prog="python -m reproductions.dcae.screen",
        description="Screens the DCAE's width and Conv5 reading on validation cells only: "
                    "the follow-up rule of the cell-level verdict experiment "
                    "(reproductions/dcae/NOTES.md); see the module docstring.")
    parser.add_argument("--manual-dir", type=Path, default=None,
                        help="the SNPHEp-2 folder (default: ../shared/data/snphep2)")
    parser.add_argument("--data", choices=("auto", "real", "synthetic"), default="auto")
    parser.add_argument("--data-dir", type=Path, default=None, help="TFDS data folder")
    parser.add_argument("--profile", default=BASE_PROFILE,
                        help="the profile whose protocol the runs follow (default "
                        f"{BASE_PROFILE}; another profile runs on the cell-level split too)")
    parser.add_argument("--baseline", type=Path, default=BASELINE,
                        help="that profile's results folder (the as-run values)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--max-runs", type=int, default=None,
                        help="stop after training this many runs")
    parser.add_argument("--plan", action="store_true",
                        help="train nothing: write the README and say what runs next")
    args = parser.parse_args(argv)
    from reproductions.common import data as data_lib
    from reproductions.common.provenance import sha256_json
    from reproductions.dcae.paper import PAPER
    from reproductions.dcae.profiles import PROFILES

    try:
        if args.profile not in PROFILES:
            raise UserError(f"--profile {args.profile!r}: one of {', '.join(PROFILES)}.")
        profile = PROFILES[args.profile]
        if profile.settings.split != "cell_level":
            profile = dataclasses.replace(profile, settings=profile.settings.replace(
                split="cell_level", folds=()))
        spec = PAPER.datasets["data"]
        source = data_lib.resolve_source(spec.name, spec.synthetic, data=args.data,
                                         manual_dir=args.manual_dir, real_config=spec.config,
                                         synthetic_config=spec.synthetic_config)
        builder = data_lib.prepare(source, args.data_dir)
        tag = sha256_json({"profile": profile.to_json(), "data": str(source)})[:8]
        work_dir = args.work_dir or CACHE / f"screen-{profile.name}-{tag}"
        steps, following = screen(builder, profile, output_dir=args.output_dir,
                                  baseline=args.baseline, work_dir=work_dir,
                                  max_runs=args.max_runs, plan_only=args.plan)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    as_run = {"width": profile.settings.width, "conv5_input": profile.settings.conv5_input}
    print("decided" if following is None else
          f"next: {next_text(following, as_run, profile.name)}")
    print(f"wrote {args.output_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
