"""Figures and README sections of the active-transfer results folder, drawn
from the stored runs (the curve tables are drawn by the harness)."""
from __future__ import annotations

from reproductions.active_transfer.paper import CASE_LABELS, CASES, PAPER
from reproductions.active_transfer.profiles import ActiveTransferSettings
from reproductions.common import plots, summary


def headline_budget(store) -> int:
    """The headline budget of the profile the stored runs were made with."""
    return ActiveTransferSettings.from_json(store.profile["extra"]).headline_budget


def headline(run: dict, store) -> dict | None:
    """What a case's run stored about the headline budget."""
    return run.get("budgets", {}).get(str(headline_budget(store)))


def _short(case: str) -> str:
    return CASE_LABELS[case].split(" (")[0]


def tsne_figure(embeddings: dict, path, title: str):
    """One scatter per case: the t-SNE of the fused features, coloured by class."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(embeddings), figsize=(5.2 * len(embeddings), 4.6),
                             squeeze=False)
    for ax, (label, e) in zip(axes[0], embeddings.items()):
        labels = np.asarray(e["label"])
        for c, name in enumerate(e["classes"]):
            keep = labels == c
            ax.scatter(np.asarray(e["x"])[keep], np.asarray(e["y"])[keep], s=6, alpha=0.7,
                       label=name)
        ax.set_title(label, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7, markerscale=2)
    return plots.save(fig, path, title)


def labelled_composition(runs: dict, store, class_names, path, title: str):
    """Stacked bars: the classes of the cells each case labelled at the
    headline budget (what uncertainty sampling asks the expert for)."""
    import matplotlib.pyplot as plt
    import numpy as np

    bars = {}
    pool = store.datasets.get("target", {}).get("per_class", {}).get("pool")
    if pool:
        bars["pool"] = np.asarray(pool, float)
    for case in CASES:
        b = headline(runs[case], store) if case in runs else None
        if b:
            bars[_short(case)] = np.asarray(b["labelled_per_class"], float)
    if not bars:
        return None
    fig, ax = plt.subplots(figsize=(1.4 * len(bars) + 3.5, 3.8))
    bottom = np.zeros(len(bars))
    shares = np.array([v / max(v.sum(), 1) for v in bars.values()])
    for c, name in enumerate(class_names):
        ax.bar(list(bars), 100 * shares[:, c], bottom=bottom, label=name)
        bottom += 100 * shares[:, c]
    ax.set_ylabel("% of the labelled cells")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return plots.save(fig, path, title)


def summary_figures(ctx) -> None:
    """Confusion matrices and t-SNE of RS and IN-AL, per-class accuracy of
    the four cases and the classes they labelled (headline budget, first
    seed), and the training curves of the single trainings (initial
    learning, RS, IN-RS), as the paper's Fig. 10–15 show them."""
    store, out = ctx.store, ctx.output_dir
    runs = store.first_seed_runs()
    budget = headline_budget(store)
    first = store.profile["seeds"][0]
    scored = {case: headline(runs[case], store) for case in CASES
              if case in runs and headline(runs[case], store)}
    if not scored:
        return
    class_names = list(next(iter(scored.values()))["per_class_recall"])
    for case in ("rs", "in_al"):
        if case in scored:
            b = scored[case]
            plots.confusion_matrix(b["confusion_matrix"], class_names,
                                   out / f"confusion_{case}.png",
                                   f"{_short(case)}, {budget} % labelled, seed {first}: "
                                   f"MCA {100 * b['mca']:.1f} %, ACA {100 * b['aca']:.1f} %")
    embeddings = {_short(case): runs[case]["tsne"] for case in ("rs", "in_al")
                  if case in runs and "tsne" in runs[case]}
    if embeddings:
        tsne_figure(embeddings, out / "tsne.png",
                    f"t-SNE of the fused features (test cells), {budget} % labelled, "
                    f"seed {first}")
    plots.per_class_accuracy({_short(c): [100 * b["per_class_recall"][n] for n in class_names]
                              for c, b in scored.items()}, class_names,
                             out / "per_class_accuracy.png",
                             f"Per-class accuracy, {budget} % labelled (seed {first})")
    labelled_composition(runs, store, class_names, out / "labelled_classes.png",
                         f"Classes of the labelled cells at {budget} % (seed {first})")
    curves = {label: runs[row]["history"] for row, label in
              (("initial", "initial learning (source)"), ("rs", f"RS {budget} %"),
               ("in_rs", f"IN-RS {budget} %")) if runs.get(row, {}).get("history")}
    if curves:
        plots.training_curves(curves, out / "training_curves.png",
                              f"Single trainings (seed {first}, profile "
                              f"{store.profile['name']})",
                              keys=("loss", "val_loss", "accuracy", "val_accuracy"))


def _fit_facts(r: dict) -> tuple[str, str, str]:
    """Epochs, best epoch (from 1) and best validation loss of one fine-tuning."""
    best = "—" if r.get("best_epoch") is None else str(r["best_epoch"] + 1)
    loss = "—" if r.get("best_val_loss") is None else f"{r['best_val_loss']:.3f}"
    return str(r.get("epochs", "—")), best, loss


def rounds_table(run: dict, store) -> str:
    """Markdown: the labelling rounds of a case at the headline budget."""
    b = headline(run, store)
    if not b:
        return ""
    lines = ["| round | labelled | chosen | mean uncertainty (chosen / pool) | epochs | "
             "best epoch | best val. loss | ended by |",
             "|---:|---:|---|---|---:|---:|---:|---|"]
    for r in b["rounds"]:
        score = (f"{r['score_selected_mean']:.3f} / {r['score_pool_mean']:.3f}"
                 if "score_selected_mean" in r else "—")
        epochs, best, loss = _fit_facts(r)
        lines.append(f"| {r['round'] + 1} | {r['labelled']} | "
                     f"{'at random' if r['round'] == 0 else 'most uncertain'} | {score} | "
                     f"{epochs} | {best} | {loss} | "
                     f"{(r.get('stopped_by') or '—').split(':')[0]} |")
    return "\n".join(lines)


def composition_table(runs: dict, store) -> str:
    """Markdown: labelled cells per class of each case at the headline budget."""
    scored = {c: headline(runs[c], store) for c in CASES if c in runs and headline(runs[c], store)}
    if not scored:
        return ""
    class_names = list(next(iter(scored.values()))["per_class_recall"])
    lines = ["| case | " + " | ".join(class_names) + " | total |",
             "|---|" + "---:|" * (len(class_names) + 1)]
    for case, b in scored.items():
        counts = b["labelled_per_class"]
        lines.append(f"| {_short(case)} | " + " | ".join(map(str, counts))
                     + f" | {sum(counts)} |")
    return "\n".join(lines)


def same_network(a: str | None, b: str | None) -> str:
    """``yes`` / ``no`` by two weights hashes, ``unknown`` when one is not
    recorded (runs stored before ``weights_sha256``)."""
    return "unknown" if not (a and b) else "yes" if a == b else "no"


def source_table(store) -> str:
    """Markdown: the initial-learning network each IN-* run transferred from
    (the first 12 hex digits of its ``weights_sha256``), beside the stored
    ``initial`` record of that seed and whether both are the same network by
    their weights hashes (the same when both ran in one session; retrained on
    another CPU, a different one)."""
    runs = [r for r in store.runs if r["row"].startswith("in_")]
    if not runs:
        return ""
    initial = {r["seed"]: r for r in store.runs if r["row"] == "initial"}

    def facts(epochs, best_epoch, best_loss, mca, aca) -> list[str]:
        return [str(epochs), "—" if best_epoch is None else str(best_epoch + 1),
                "—" if best_loss is None else f"{best_loss:.4f}", f"{mca:.2f} / {aca:.2f}"]

    lines = ["| run | source seed | epochs | best epoch | best val. loss | source test MCA / "
             "ACA (%) | weights sha256 | stored `initial` record: epochs, best epoch, best "
             "val. loss, MCA / ACA | same network |",
             "|---|---:|---:|---:|---:|---|---|---|---|"]
    for r in sorted(runs, key=lambda r: (r["row"], r.get("variant") or "", r["seed"])):
        name = " ".join([_short(r["row"]), *([r["variant"]] if r.get("variant") else [])])
        name += f", seed {r['seed']}"
        src = r.get("source") or {}
        digest = src.get("weights_sha256")
        used = ([str(src["seed"])] + facts(src["epochs"], src["best_epoch"],
                                           src["best_val_loss"], src["mca"], src["aca"])
                + [digest[:12] if digest else "not recorded"]
                if src else ["—", "—", "—", "—", "not recorded (stored before this field)", "—"])
        stored = initial.get(src.get("seed", r["seed"])) or {}
        if stored:
            m = stored["values"]["initial"]["initial"]
            stored_text = ", ".join(facts(stored["epochs"], stored.get("best_epoch"),
                                          summary.best_val_loss(stored.get("history") or {}),
                                          m["mca"], m["aca"]))
        else:
            stored_text = "—"
        same = same_network(digest, stored.get("weights_sha256"))
        lines.append("| " + " | ".join([name, *used, stored_text, same]) + " |")
    return "\n".join(lines)


def sections(store) -> str:
    """Parameters, the labelling rounds of IN-AL and AL (each beside its
    random-sampling counterpart's single fine-tuning) and the classes each case
    labelled (first seed, headline budget)."""
    runs = store.first_seed_runs()
    budget = headline_budget(store)
    notes = ""
    params = {r["row"]: r["parameters"] for r in runs.values() if "parameters" in r}
    if params:
        notes += ("\n## Parameters\n\n| network | parameters |\n|---|---:|\n"
                  + "".join(f"| {PAPER.label(row)} | {n:,} |\n" for row, n in params.items()))
    for loop, random_case in (("in_al", "in_rs"), ("al", "rs")):
        table = rounds_table(runs[loop], store) if loop in runs else ""
        if not table:
            continue
        notes += (f"\n## Labelling rounds of {_short(loop)} at {budget} % (first seed)\n\n"
                  + table + "\n")
        single = headline(runs[random_case], store) if random_case in runs else None
        if single and single["rounds"] and single["rounds"][0].get("best_val_loss") is not None:
            (r,) = single["rounds"]
            epochs, best, loss = _fit_facts(r)
            notes += (f"\n{_short(random_case)} on the same seed labels {r['labelled']} random "
                      f"cells in one fine-tuning: {epochs} epochs, best epoch {best}, "
                      f"best val. loss {loss}.\n")
    table = source_table(store)
    if table:
        notes += ("\n## The initial-learning network behind each IN-* run\n\n"
                  "An IN-* run transfers from its seed's initial learning, read back from "
                  "its checkpoint or, when the checkpoint is gone (another session), "
                  "trained again; retrained on another CPU it is not bit-identical to the "
                  "network the `initial` row reports. *Same network* compares the sha256 of "
                  "their weights; the run's fine-tunings are cached under that hash, so a "
                  "retrained source never reuses them.\n\n" + table + "\n")
    table = composition_table(runs, store)
    if table:
        notes += (f"\n## Labelled cells per class at {budget} % (first seed)\n\n"
                  "What each case asked the expert to label; random sampling follows the "
                  "pool's class balance, uncertainty sampling asks for the classes the "
                  "network confuses.\n\n" + table + "\n")
    return notes
