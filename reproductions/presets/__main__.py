"""``python -m reproductions.presets``: list, package and evaluate presets.

    python -m reproductions.presets                      # the presets and their metrics
    python -m reproductions.presets make --source RUN/inference.keras --name NAME \\
        --results results/PAPER/results.json [--row R --seed S --paper P] \\
        --manual-dir /path/to/DATASET                    # measured on its test split
    python -m reproductions.presets evaluate NAME --manual-dir /path/to/DATASET [--check]

``make`` reads paper, work tag, row and seed from a source path of the form
``<paper>/<work tag>/<row>-seed<k>/.../inference.keras`` (the work folders
the reproductions write) unless given. ``evaluate`` writes the preset's
dataset split (``--split``, default ``test``) as PNG files in a temporary
folder and classifies them with ``python -m reproductions.predict``; with
``--check`` it exits 1 when the accuracy differs from the card's by more than
``--tolerance`` (0.5 points), with ``--record`` it stores the measurement in
the preset's metadata and card. Arguments after ``--`` go to predict.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from reproductions import presets
from reproductions.common import tf_runtime


def _split_predict_args(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _add_data_args(parser) -> None:
    group = parser.add_argument_group("test data (default: ../shared/data/<dataset> when "
                                      "present)")
    group.add_argument("--manual-dir", type=Path, default=None,
                       help="the dataset's folder (as for the reproductions' --manual-dir)")
    group.add_argument("--image-folder", type=Path, default=None,
                       help="a labelled folder ROOT/<class>/<image> or "
                            "ROOT/<split>/<class>/<image> instead of the dataset")
    group.add_argument("--data", choices=("auto", "real", "synthetic"), default="auto",
                       help="synthetic: the embedded synthetic dataset named by --dataset")
    group.add_argument("--dataset", default=None,
                       help="NAME[/CONFIG] of the TFDS dataset (default: the preset's)")
    group.add_argument("--split", default="test", help="split to measure on (default: test)")
    group.add_argument("--data-dir", type=Path, default=None, help="TFDS data folder")
    group.add_argument("--seed", dest="data_seed", type=int, default=0,
                       help="seed of the splits of an image folder without split folders")


def _test_data(args, dataset: str | None, channels: int, required: bool):
    """``(builder, dataset name, config, how to name it in a command)`` or None."""
    from reproductions.common import data as data_lib

    name, _, config = (dataset or "").partition("/")
    config = config or None
    if args.image_folder is not None:
        source = data_lib.resolve_source(name or "image_folder", name,
                                         image_folder=args.image_folder)
        builder = data_lib.prepare(source, args.data_dir, channels=channels,
                                   seed=args.data_seed)
        return builder, "image_folder", None, f"--image-folder {args.image_folder}"
    if not name:
        if required:
            raise presets.PresetError("say which dataset to measure on: --dataset "
                                      "NAME[/CONFIG] or --image-folder ROOT")
        return None
    if args.data == "synthetic":
        source = data_lib.DataSource(name, config, True, None)
        how = f"--data synthetic --dataset {name}" + (f"/{config}" if config else "")
    else:
        if name not in data_lib.REAL_DATASETS:
            raise presets.PresetError(f"{name!r} is not one of the real datasets "
                                      f"({', '.join(data_lib.REAL_DATASETS)}); use "
                                      "--data synthetic for a synthetic one")
        if args.manual_dir is None and not (data_lib.shared_data() / name).is_dir():
            if required:
                raise presets.PresetError(
                    f"the {name} dataset is needed: pass its folder with --manual-dir")
            return None
        source = data_lib.resolve_source(name, name, data="real", manual_dir=args.manual_dir,
                                         real_config=config)
        how = f"--manual-dir <{name} folder>"
    return data_lib.prepare(source, args.data_dir, channels=channels), name, config, how


def cmd_list(args) -> int:
    names = presets.list_presets(args.root)
    if not names:
        print("no presets installed yet (package one with `python -m reproductions.presets "
              "make --help`)")
        return 0
    for name in names:
        meta = presets.metadata(args.root / name if args.root else name)
        f = meta.get("file", {})
        print(f"{name}: {meta.get('title', '')}")
        print(f"  {len(meta.get('classes', []))} classes; {meta.get('parameters', 0):,} "
              f"parameters; {f.get('bytes', 0) / 2**20:.1f} MiB ({f.get('weights_dtype')}); "
              f"input {meta.get('input', {}).get('size')} px")
        for m in meta.get("metrics", []):
            data = m["dataset"] + (f"/{m['config']}" if m.get("config") else "")
            print(f"  {data} {m['split']} ({m['cells']}, n={m['n']}): accuracy "
                  f"{100 * m['accuracy']:.2f} %, MCA {100 * m['mca']:.2f} %")
        if not meta.get("metrics"):
            print("  no test metrics recorded")
    return 0


def cmd_make(args, predict_args) -> int:
    from reproductions import predict
    from reproductions.presets import make

    channels = int(predict.load_model(args.source).inputs[0].shape[-1])
    dataset = args.dataset
    if dataset is None and args.results is not None:
        import json

        found = list(json.loads(args.results.read_text()).get("datasets", {}).values())
        if len(found) == 1:
            dataset = found[0]["name"] + (f"/{found[0]['config']}" if found[0].get("config")
                                          else "")
    test = _test_data(args, dataset, channels, required=False)
    command = None
    if test is not None:
        target = args.name if args.dest is None else str(args.dest / args.name)
        command = (f"python -m reproductions.presets evaluate {target} {test[3]}"
                   + ("" if args.split == "test" else f" --split {args.split}")
                   + (" -- " + " ".join(predict_args) if predict_args else ""))
    else:
        print("no test data: the card will have no test metrics and the weights stay "
              "float32 (give --manual-dir or --image-folder to measure)", file=sys.stderr)
    make.make_preset(
        args.source, args.name, dest_root=args.dest, paper=args.paper, row=args.row,
        seed=args.run_seed, variant=args.variant, work_tag=args.work_tag,
        profile=args.profile, results_file=args.results, dataset=dataset, title=args.title,
        test_data=None if test is None else test[:3], test_split=args.split,
        test_command=command, test_cells=args.test_cells, train_split=args.train_split,
        validation_split=args.validation_split, polarity=args.polarity,
        precision=args.precision, predict_args=predict_args, limitations=args.limitation)
    return 0


def cmd_evaluate(args, predict_args) -> int:
    from reproductions.presets import evaluate as eval_lib
    from reproductions.presets import make

    where = presets.folder(args.name)
    meta = presets.metadata(where)
    model_file = presets.check(where)
    dataset = args.dataset or (meta["dataset"]["name"] + (
        f"/{meta['dataset']['config']}" if meta["dataset"].get("config") else ""))
    builder, name, config, how = _test_data(args, dataset, int(meta["input"]["channels"]),
                                            required=True)
    with tempfile.TemporaryDirectory(prefix="preset-eval-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "images"
        labels = eval_lib.export_split(builder, args.split, folder, invert=args.invert)
        if args.keep:
            eval_lib.write_labels(labels, folder.parent / (folder.name + "-labels.csv"))
        print(f"{len(labels)} {args.split} images written as PNG"
              f"{' ' + eval_lib.INVERTED if args.invert else ''} to {folder}; classifying "
              "them with predict", file=sys.stderr)
        result = eval_lib.evaluate_files(model_file, folder, labels, predict_args,
                                         csv_out=Path(tmp) / "predictions.csv")
    print(f"{meta['name']} on {name}{'/' + config if config else ''} {args.split} "
          f"(n={result['n']}): accuracy {100 * result['accuracy']:.2f} %, "
          f"MCA {100 * result['mca']:.2f} %")
    for c, r in result["per_class_recall"].items():
        print(f"  {c}: recall {100 * r:.2f} % (n={result['support'][c]})")
    same = [m for m in meta.get("metrics", []) if m["dataset"] == name
            and m.get("config") == config and m["split"] == args.split
            and list(m.get("predict_args", [])) == list(predict_args)
            and m.get("images") == (eval_lib.INVERTED if args.invert else None)]
    code = 0
    if same:
        delta = result["accuracy"] - same[0]["accuracy"]
        print(f"the card says {100 * same[0]['accuracy']:.2f} % (difference "
              f"{100 * delta:+.2f} points)")
        if args.check and abs(delta) > args.tolerance:
            print(f"error: more than {100 * args.tolerance:.2f} points from the card",
                  file=sys.stderr)
            code = 1
    elif args.check:
        print("error: the card has no measurement of this data to check against",
              file=sys.stderr)
        code = 1
    if args.record:
        command = (f"python -m reproductions.presets evaluate {args.name} {how}"
                   + ("" if args.dataset is None or args.image_folder else
                      f" --dataset {args.dataset}")
                   + ("" if args.split == "test" else f" --split {args.split}")
                   + (" --invert" if args.invert else "")
                   + (" -- " + " ".join(predict_args) if predict_args else ""))
        entry = make.metric_entry(
            result, dataset=name, config=config, split=args.split,
            cells=args.cells or make.dataset_notes(name, config, builder).get("cells")
            or f"the {args.split} split", command=command,
            model_sha256=meta["file"]["sha256"], predict_args=predict_args,
            images=eval_lib.INVERTED if args.invert else None)
        meta["metrics"] = [m for m in meta.get("metrics", []) if m not in same] + [entry]
        make.write_metadata(where, meta)
        print(f"recorded in {where / presets.METADATA_FILE} and {presets.CARD_FILE}",
              file=sys.stderr)
    return code


def main(argv=None) -> int:
    tf_runtime.command_environment()  # oneDNN on, before TensorFlow loads
    argv, predict_args = _split_predict_args(argv)
    parser = argparse.ArgumentParser(prog="python -m reproductions.presets",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=None,
                        help="list the presets of this folder (default: the installed ones)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="list the presets with their metrics (the default)")

    mk = sub.add_parser("make", help="package a trained inference.keras as a preset")
    mk.add_argument("--source", type=Path, required=True, help="the run's inference.keras")
    mk.add_argument("--name", required=True)
    mk.add_argument("--paper")
    mk.add_argument("--row")
    mk.add_argument("--variant", default="")
    mk.add_argument("--run-seed", "--row-seed", dest="run_seed", type=int, default=None,
                    help="the run's seed (default: from the source path, else 0)")
    mk.add_argument("--work-tag")
    mk.add_argument("--profile")
    mk.add_argument("--results", type=Path, default=None,
                    help="the run record results/<paper>/results.json")
    mk.add_argument("--title")
    mk.add_argument("--test-cells", help="what the test cells are (default: per dataset)")
    mk.add_argument("--train-split", help="the training data, in words (default: per dataset)")
    mk.add_argument("--validation-split", help="the validation data, in words")
    mk.add_argument("--polarity", help="the input polarity, in words (default: per dataset)")
    mk.add_argument("--limitation", action="append", default=[],
                    help="a limitation to add to the card (repeatable)")
    mk.add_argument("--precision", choices=("auto", "float16", "float32"), default="auto",
                    help="auto: float16 when it costs nothing on the test split")
    mk.add_argument("--dest", type=Path, default=None,
                    help="folder to write the preset folder in (default: the package's)")
    _add_data_args(mk)

    ev = sub.add_parser("evaluate", help="measure a preset through predict on image files")
    ev.add_argument("name", help="preset name or preset folder")
    ev.add_argument("--check", action="store_true",
                    help="exit 1 when the accuracy is off the card's by more than --tolerance")
    ev.add_argument("--tolerance", type=float, default=0.005)
    ev.add_argument("--invert", action="store_true",
                    help="write the images inverted (255 - value), e.g. to measure "
                         "`-- --background auto` on the opposite polarity")
    ev.add_argument("--record", action="store_true",
                    help="store the measurement in the preset's metadata and card")
    ev.add_argument("--cells", help="what the measured cells are, for --record")
    ev.add_argument("--keep", type=Path, default=None,
                    help="write the images to this folder (kept, with a labels CSV beside it)")
    _add_data_args(ev)

    args = parser.parse_args(argv)
    from reproductions.common.errors import UserError

    try:
        if args.command == "make":
            return cmd_make(args, predict_args)
        if args.command == "evaluate":
            return cmd_evaluate(args, predict_args)
        return cmd_list(args)
    except (presets.PresetError, UserError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
