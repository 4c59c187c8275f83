"""A preset's ``metadata.json`` fields and the model card made from them.

The card (``MODEL_CARD.md``) is generated from the metadata only
(:func:`render_card`), so the two cannot disagree; :func:`missing_fields`
names what a metadata dict lacks (the test runs it on every preset).
"""
from __future__ import annotations

SCHEMA_VERSION = 1

#: Dotted paths every preset's metadata must have (non-empty).
REQUIRED_FIELDS = (
    "schema_version", "name", "title", "dataset.name", "dataset.split_description",
    "training.split", "training.validation", "test.split", "test.cells", "classes",
    "metrics", "protocol.paper", "protocol.profile", "protocol.row", "protocol.seed",
    "protocol.work_tag", "commit.packaged", "versions.tensorflow", "versions.keras",
    "parameters", "file.name", "file.bytes", "file.sha256", "file.weights_dtype",
    "input.size", "input.channels", "input.bit_depth", "input.polarity", "input.dtype",
    "preprocessing", "intended_use", "limitations",
)
#: Fields every entry of ``metrics`` must have.
METRIC_FIELDS = ("dataset", "split", "cells", "n", "accuracy", "mca", "per_class_recall",
                 "command", "model_sha256")


def _get(meta: dict, dotted: str):
    value = meta
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def missing_fields(meta: dict) -> list[str]:
    """The required fields ``meta`` lacks or leaves empty (``None``, ``""``,
    ``[]``), and metric entries without their fields or measured on another
    file than the one shipped."""
    missing = [f for f in REQUIRED_FIELDS if _get(meta, f) in (None, "", [], {})]
    for i, metric in enumerate(meta.get("metrics") or []):
        missing += [f"metrics[{i}].{f}" for f in METRIC_FIELDS
                    if metric.get(f) in (None, "", [], {})]
        if metric.get("model_sha256") and metric["model_sha256"] != _get(meta, "file.sha256"):
            missing.append(f"metrics[{i}].model_sha256 (measured on another file)")
    return missing


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.2f} %"


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def _data(metric: dict) -> str:
    """``dataset/config split`` of a metric row, and how its images were
    changed (``predict`` options included), when they were."""
    data = (metric["dataset"] + (f"/{metric['config']}" if metric.get("config") else "")
            + f" {metric['split']}")
    if metric.get("images"):
        data += f", {metric['images']}"
    if metric.get("predict_args"):
        data += f", predict {' '.join(metric['predict_args'])}"
    return data


def render_card(meta: dict) -> str:
    """``MODEL_CARD.md`` for ``meta``."""
    d, t, p, f, i = (meta.get(k, {}) for k in ("dataset", "training", "protocol", "file",
                                                  "input"))
    dataset = (d.get("name") or "unknown") + (f"/{d['config']}" if d.get("config") else "")
    lines = [
        f"# {meta['name']}: {meta.get('title', '')}",
        "",
        "Generated from `metadata.json` by `python -m reproductions.presets` "
        "(do not edit by hand).",
        "",
        f"**For research only. Not for diagnosis.** {meta.get('intended_use', '')}",
        "",
        "```python",
        "from reproductions import presets",
        f"model = presets.load({meta['name']!r})  # sha256 checked",
        "```",
        "",
        "```bash",
        f"python -m reproductions.predict --model {meta['name']} /path/to/images/",
        "```",
        "",
        "## Data",
        "",
        f"- Dataset: `{dataset}` (version {d.get('version', '?')}). "
        f"{d.get('split_description', '')}",
        f"- Trained on: {t.get('split', '')}",
        f"- Validation (early stopping): {t.get('validation', '')}",
        f"- Test: {meta.get('test', {}).get('split', '')}",
        f"- Classes ({len(meta.get('classes', []))}, output order): "
        + ", ".join(f"`{c}`" for c in meta.get("classes", [])),
        "",
        "## Test metrics",
        "",
        "Measured with the shipped file (sha256 below) through `reproductions.predict` "
        "on the split written out as PNG files; rerun the command to check.",
        "",
        "| data | cells | n | accuracy | MCA | command |",
        "|---|---|---|---|---|---|",
    ]
    for m in meta.get("metrics", []):
        data = _data(m)
        lines.append(f"| {data} | {m['cells']} | {m['n']} | {_pct(m['accuracy'])} | "
                     f"{_pct(m['mca'])} | `{m['command']}` |")
    for m in meta.get("metrics", []):
        data = _data(m)
        lines += ["", f"Per-class recall ({data}):", "",
                  "| class | recall | n |", "|---|---|---|"]
        for c, r in m.get("per_class_recall", {}).items():
            lines.append(f"| {c} | {_pct(r)} | {m.get('support', {}).get(c, '')} |")
    table = meta.get("table_row")
    if table:
        lines += ["", f"The training run's own evaluation (in-memory arrays, "
                      f"`{table.get('source', '')}`): {table.get('metric', '')} = "
                      f"{_pct(table.get('value'))}, MCA {_pct(table.get('mca'))}."]
    prec = meta.get("precision") or {}
    lines += ["", "## Model", "",
              f"- Parameters: {meta.get('parameters', 0):,}",
              f"- File: `{f.get('name', '')}`, {_mib(f.get('bytes', 0))}, weights stored as "
              f"{f.get('weights_dtype', '')} (computes in float32), sha256 "
              f"`{f.get('sha256', '')}`"]
    if prec:
        lines.append(f"- Precision: {prec.get('decision', '')}")
    lines += ["", "## Input", "",
              f"- {i.get('dtype', '')} images, {i.get('channels', '')} channel(s) "
              f"({'grey' if i.get('channels') == 1 else 'colour'}), {i.get('bit_depth', '')}-bit "
              "(16-bit files are scaled to 8 bits, colour converted to grey by predict)",
              f"- Polarity: {i.get('polarity', '')}",
              f"- Any size; the model resizes to {i.get('size', '')} px "
              f"({i.get('preprocessing_layer', {}).get('class_name', '')})",
              f"- Preprocessing: {meta.get('preprocessing', '')}",
              "", "## Protocol and provenance", "",
              f"- Paper: `{p.get('paper', '')}`, profile `{p.get('profile', '')}`, row "
              f"`{p.get('row', '')}`" + (f" ({p['variant']})" if p.get("variant") else "")
              + f", seed {p.get('seed', '')}, work tag `{p.get('work_tag', '')}`",
              ]
    if p.get("results"):
        lines.append(f"- Run record: `{p['results']}`")
    if p.get("finetuned_from"):
        lines.append(f"- Fine-tuned from preset `{p['finetuned_from']}`")
    if p.get("command"):
        lines.append(f"- Training command: `{p['command']}`")
    c = meta.get("commit", {})
    lines.append(f"- Commit: trained at `{c.get('training') or '?'}`, packaged at "
                 f"`{c.get('packaged', '')}`")
    lines.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in
                                            meta.get("versions", {}).items()))
    lines += ["", "## Intended use and limits", "", meta.get("intended_use", ""), ""]
    lines += [f"- {x}" for x in meta.get("limitations", [])]
    return "\n".join(lines) + "\n"
