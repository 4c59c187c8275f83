"""The labelling loop of §2.2 (Table 1, Fig. 7): budget arithmetic,
uncertainty scores, selection, and a resumable loop over labelling rounds.

With a budget of ``b`` labels out of a pool of ``P`` cells (``b`` = a
fraction of ``P``, rounded half up):

1. ``k = round(0.15 b)`` cells drawn at random are labelled and the network
   is fine-tuned on them;
2. the fine-tuned network scores every unlabelled cell of the pool; the
   ``m = round(0.10 b)`` most uncertain are labelled (the last round takes
   what is left of ``b``);
3. the network is fine-tuned on everything labelled so far, from where the
   previous round left it (our reading: Fig. 7 loops back to the fine-tuned
   network); back to 2 until ``b`` is spent.

So a budget takes ``1 + ceil((b − k) / m)`` fine-tunings (10 for every
budget large enough that the rounding does not bite). Random sampling (RS,
IN-RS) labels the first ``b`` cells of the same random order in one round:
on a given seed the random cells of RS are a superset of AL's first ``k``
("random sampling on the same initial pool"). At 100 % both label the whole
pool in one round.

Uncertainty comes from scikit-activeml's ``uncertainty_scores`` on the
network's softmax outputs: ``entropy`` (−Σ p log p; the paper's eq. 3 lacks
the minus sign), ``least_confidence`` (1 − max p, eq. 4 ranked lowest first)
and ``margin`` (1 − (p₁ − p₂), eq. 5 ranked lowest first). Higher = more
uncertain. The batch is the ``m`` highest scores, ties broken at random with
the round's seed (scikit-activeml's ``simple_batch`` does the same but keeps
a ``batch × pool`` utility matrix: 2 GB at the paper's m = 5,000 of 50,000).

State (:class:`LoopState`, ``state.json`` in the loop's folder) is written
after the cells of a round are chosen and after its fine-tuning: the labelled
pool indices of every round, the fine-tuning's folder (checkpoints, best
weights) and what it measured. A killed loop rerun with the same arguments
resumes at its round: a chosen round is not chosen again, a finished
fine-tuning is not repeated (and an interrupted one continues from its last
epoch, see :func:`reproductions.common.training.train`). The fine-tunings
live in a shared folder keyed by what determines them (the network they
start from and the labelled set), so loops that share a start -- the random
round 0 of the three criteria, RS and AL at 100 % -- train it once. The
start names the network by content (the command puts the hash of its
weights and of the training code in it), and a loop whose stored start
differs is begun again: its rounds were chosen, and its fine-tunings
trained, from another network.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from reproductions.common import summary

#: Our criterion names -> scikit-activeml's ``uncertainty_scores`` methods.
CRITERIA = {"entropy": "entropy", "least_confidence": "least_confident",
            "margin": "margin_sampling"}
RANDOM = "random"
STATE_VERSION = 1


def round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


@dataclasses.dataclass(frozen=True)
class BudgetPlan:
    """How many cells each round labels.

    Attributes:
      pool_size: ``P``, unlabelled cells at the start.
      fraction: the budget as a fraction of the pool (``0.2``).
      budget: ``b = round(fraction · P)``.
      initial, step: ``k`` and ``m`` (``m = 0`` for random sampling).
      sizes: cells labelled in each round; they add up to ``budget``.
    """

    pool_size: int
    fraction: float
    budget: int
    initial: int
    step: int
    sizes: tuple[int, ...]

    @property
    def rounds(self) -> int:
        return len(self.sizes)

    def labelled_after(self) -> list[int]:
        """Cells labelled after each round (cumulative sizes)."""
        return np.cumsum(self.sizes).tolist()

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def budget_plan(pool_size: int, fraction: float, *, sampling: str = "uncertainty",
                initial_fraction: float = 0.15, step_fraction: float = 0.10) -> BudgetPlan:
    """The rounds of one budget (see the module docstring).

    ``sampling="random"`` (RS, IN-RS), or a budget of the whole pool: one
    round of ``b`` cells.
    """
    if pool_size < 1:
        raise ValueError(f"the pool is empty (pool_size={pool_size})")
    if not 0 < fraction <= 1:
        raise ValueError(f"the budget must be a fraction in (0, 1], got {fraction}")
    budget = min(pool_size, max(1, round_half_up(fraction * pool_size)))
    if sampling == RANDOM or budget == pool_size:
        return BudgetPlan(pool_size, fraction, budget, budget, 0, (budget,))
    initial = min(budget, max(1, round_half_up(initial_fraction * budget)))
    step = max(1, round_half_up(step_fraction * budget))
    sizes, labelled = [initial], initial
    while labelled < budget:
        sizes.append(min(step, budget - labelled))
        labelled += sizes[-1]
    return BudgetPlan(pool_size, fraction, budget, initial, step, tuple(sizes))


def uncertainty(probabilities, criterion: str) -> np.ndarray:
    """Per-row uncertainty of class probabilities (higher = more uncertain),
    by scikit-activeml's ``uncertainty_scores``."""
    from skactiveml.pool import uncertainty_scores

    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; choose one of "
                         f"{', '.join(CRITERIA)}")
    probabilities = np.asarray(probabilities, dtype=np.float64)
    # float32 softmax rows add up to 1 within ~1e-6; renormalise in float64
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    return uncertainty_scores(probabilities, method=CRITERIA[criterion])


def most_uncertain(scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of the ``n`` highest ``scores``, highest first; equal scores
    in a random order drawn from ``rng``."""
    scores = np.asarray(scores, dtype=np.float64)
    tie_break = rng.permutation(len(scores))
    order = np.lexsort((tie_break, -scores))  # last key first: by -score, then tie_break
    return order[:n]


def random_order(pool_size: int, seed: int) -> np.ndarray:
    """The seed's random order of the pool: RS labels its first ``b`` cells,
    AL its first ``k``."""
    return np.random.default_rng([seed, 0x5EED]).permutation(pool_size)


def normalised_area(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Trapezoidal area under ``ys`` over ``xs`` divided by the range of
    ``xs``: the curve's mean height (a single point: its value)."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    if len(xs) == 1:
        return float(ys[0])
    return float(np.sum((ys[1:] + ys[:-1]) / 2 * np.diff(xs)) / (xs[-1] - xs[0]))


def fit_key(parent: str, labelled: Sequence[int]) -> str:
    """Name of a fine-tuning: what it starts from and the cells it sees."""
    digest = hashlib.sha1(parent.encode())
    digest.update(np.sort(np.asarray(labelled, np.int64)).tobytes())
    return digest.hexdigest()[:16]


@dataclasses.dataclass
class LoopState:
    """What ``state.json`` holds: one entry per round chosen so far.

    A round is ``{"added": [pool indices], "fit": key, "done": bool, ...}``
    plus, once fine-tuned, what the fine-tuning measured (``epochs``,
    ``best_epoch``, ``stopped_by``, ``best_val_loss``, ``wall_time_s``,
    ``train_images_per_s``) and, for uncertainty rounds, the scores of the
    chosen cells and of the whole unlabelled pool (``score_selected_mean``,
    ``score_pool_mean``).
    """

    path: Path
    meta: dict
    rounds: list[dict]
    replaced: dict | None = None  # the stored meta a restart replaced (``open``)

    @classmethod
    def open(cls, path: Path, meta: dict, restart: Sequence[str] = ()) -> "LoopState":
        """Reads ``path`` or starts a new state; refuses a state of another
        loop, unless it differs only in ``restart`` keys of ``meta``: then the
        loop starts over (``replaced`` holds the stored meta; the file is
        overwritten at the first :meth:`save`)."""
        path = Path(path)
        meta = json.loads(json.dumps(meta))  # as stored: tuples become lists
        if path.exists():
            stored = json.loads(path.read_text())
            if stored["meta"] != meta:
                changed = sorted(k for k in set(meta) | set(stored["meta"])
                                 if meta.get(k) != stored["meta"].get(k))
                if set(changed) <= set(restart):
                    return cls(path, meta, [], replaced=stored["meta"])
                raise ValueError(f"{path} belongs to another labelling loop (differs in "
                                 f"{', '.join(changed)}); use another folder")
            return cls(path, meta, stored["rounds"])
        return cls(path, meta, [])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"meta": self.meta, "rounds": self.rounds}, indent=1) + "\n")
        os.replace(tmp, self.path)

    def labelled(self, upto: int | None = None) -> np.ndarray:
        """Pool indices labelled in rounds ``0 .. upto`` (all rounds by default)."""
        rounds = self.rounds if upto is None else self.rounds[:upto + 1]
        added = [np.asarray(r["added"], np.int64) for r in rounds]
        return np.concatenate(added) if added else np.zeros(0, np.int64)

    @property
    def finished(self) -> bool:
        return bool(self.rounds) and all(r["done"] for r in self.rounds) and \
            len(self.rounds) == len(self.meta["plan"]["sizes"])


@dataclasses.dataclass
class Learner:
    """What the loop needs from a network.

    ``make_model() -> model``: the network before round 0 (transferred or
    random; seeded by the caller). ``fit(model, labelled, run_dir) ->
    TrainOutcome``: fine-tunes ``model`` in place on the pool cells
    ``labelled`` (sorted indices) and leaves it with its chosen weights,
    resumable in ``run_dir``. ``predict(model, indices) -> probabilities``
    of the pool cells ``indices``.
    """

    make_model: Callable[[], Any]
    fit: Callable[[Any, np.ndarray, Path], Any]
    predict: Callable[[Any, np.ndarray], np.ndarray]


@dataclasses.dataclass
class LoopResult:
    model: Any
    state: LoopState
    fits: list  # TrainOutcome of every round, in order
    wall_time_s: float  # the fine-tunings', across resumes (each counted by the loop that ran it)


def run_loop(learner: Learner, plan: BudgetPlan, *, criterion: str, seed: int,
             loop_dir: Path, fits_dir: Path, start: str, labels: np.ndarray | None = None,
             log: Callable[[str], None] = lambda message: None) -> LoopResult:
    """Runs (or resumes) the labelling rounds of ``plan``.

    Args:
      criterion: ``"random"`` (one round: the first ``b`` of the random
        order) or a key of :data:`CRITERIA`.
      seed: draws the random order and breaks ties.
      loop_dir: this loop's ``state.json``.
      fits_dir: the fine-tunings' folders (shared between loops).
      start: names the network before round 0 (``"scratch-seed0-code…"``,
        ``"source0-seed1-weights…-code…"``: seed 1's head on seed 0's initial
        learning, with the hashes of its weights and of the training code):
        part of every fine-tuning's key. A stored loop of another start is
        begun again (logged), never resumed.
      labels: the pool's labels, only to record the class counts of each
        round (the simulated expert's answers).
    """
    if criterion != RANDOM and criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}")
    meta = {"version": STATE_VERSION, "criterion": criterion, "seed": seed, "start": start,
            "plan": plan.to_json()}
    state = LoopState.open(Path(loop_dir) / "state.json", meta, restart=("start",))
    if state.replaced is not None:
        log(f"{state.path} was a loop from another start network "
            f"({state.replaced['start']}); starting it again from {start}")
    order = random_order(plan.pool_size, seed)
    fits, model = [], None

    def network(key: str):
        """A new network holding the weights of fine-tuning ``key`` (or the
        start). Every fine-tuning gets a new one: Keras keeps training state
        on a model between ``fit`` calls (a restored ``BackupAndRestore``
        leaves its initial epoch there), which must not leak into the next
        round."""
        new = learner.make_model()
        if key != start:
            new.load_weights(Path(fits_dir) / key / "best.weights.h5")
        return new

    for r, size in enumerate(plan.sizes):
        parent = start if r == 0 else state.rounds[r - 1]["fit"]
        if r == len(state.rounds):  # choose the round's cells
            entry: dict = {"round": r}
            if r == 0:
                added = order[:size]
            else:  # the model holds round r - 1's weights: it was just fine-tuned or read
                unlabelled = np.setdiff1d(np.arange(plan.pool_size), state.labelled())
                scores = uncertainty(learner.predict(model, unlabelled), criterion)
                pick = most_uncertain(scores, size, np.random.default_rng([seed, r]))
                added = unlabelled[pick]
                entry.update(score_selected_mean=float(scores[pick].mean()),
                             score_pool_mean=float(scores.mean()))
            labelled = np.concatenate([state.labelled(), added])
            entry.update(added=[int(i) for i in added], labelled=int(len(labelled)),
                         fit=fit_key(parent, labelled), done=False)
            if labels is not None:
                entry["added_per_class"] = np.bincount(
                    labels[added], minlength=int(labels.max()) + 1).tolist()
            state.rounds.append(entry)
            state.save()
            log(f"round {r + 1}/{plan.rounds}: {len(added)} cells chosen "
                f"({'at random' if r == 0 else criterion}), {len(labelled)} labelled")
        entry = state.rounds[r]
        # warm start: from where the previous round left the network (a
        # finished fine-tuning just reads its own weights back)
        model = network(parent)
        outcome = learner.fit(model, np.sort(state.labelled(r)), Path(fits_dir) / entry["fit"])
        fits.append(outcome)
        if not entry["done"]:
            entry.update(done=True, epochs=outcome.epochs, best_epoch=outcome.best_epoch,
                         stopped_by=outcome.stopped_by,
                         best_val_loss=summary.best_val_loss(outcome.history),
                         wall_time_s=outcome.wall_time_s,
                         train_images_per_s=outcome.train_images_per_s)
            state.save()
    return LoopResult(model, state, fits,
                      sum(entry.get("wall_time_s") or 0.0 for entry in state.rounds))
