"""The jobs of a reproduction: what one is (:class:`Job`: a row, a seed, a
variant), their order (:func:`plan_jobs`, :func:`only_seeds`), and one job
trained and scored: a Keras network (:func:`fit_and_evaluate` ->
:class:`Fitted`) or a scikit-learn estimator on extracted features
(:func:`fit_sklearn` -> :class:`SklearnFitted`); their ``record`` gives the
run's entry for ``results.json``.

``experiment`` re-exports them, so papers write ``experiment.fit_and_evaluate``.
"""
from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Sequence

from reproductions.common import records
from reproductions.common.errors import UserError

if TYPE_CHECKING:
    from reproductions.common.experiment import Context
    from reproductions.common.profiles import Profile


class Job(NamedTuple):
    """One stored run: a row of the paper, a seed, and a variant (an
    ablation of the row; ``""`` for the row itself)."""

    row: str
    seed: int
    variant: str = ""

    def describe(self) -> str:
        return f"{self.row}{' (' + self.variant + ')' if self.variant else ''}, seed {self.seed}"


def plan_jobs(profile: Profile, rows: Sequence[str], extra: Sequence[Job] = ()) -> list[Job]:
    """The first seed of every row, then ``extra`` (ablations), then the
    other seeds of the multi-seed rows: an interrupted command has whole
    tables as early as possible."""
    jobs = [Job(row, seed) for row in rows for seed in profile.seeds_for(row)[:1]]
    jobs += list(extra)
    jobs += [Job(row, seed) for row in rows for seed in profile.seeds_for(row)[1:]]
    return jobs


def only_seeds(jobs: Sequence[Job], seeds: Sequence[int] | None) -> list[Job]:
    """The jobs of ``seeds`` (``--only-seeds``; all jobs for ``None``): a
    filter on the plan, not a change of protocol, so the runs land in the
    same results and checkpoints as the others."""
    if seeds is None:
        return list(jobs)
    planned = sorted({job.seed for job in jobs})
    unknown = sorted(set(seeds) - set(planned))
    if unknown:
        raise UserError(f"--only-seeds {','.join(map(str, seeds))}: the profile plans no "
                        f"run of seed(s) {', '.join(map(str, unknown))} for these rows; its "
                        f"seeds are {', '.join(map(str, planned))}.")
    return [job for job in jobs if job.seed in seeds]


# --- one Keras job ----------------------------------------------------------
@dataclasses.dataclass
class Fitted:
    """A trained model, its test outputs and metrics; :meth:`record` turns
    them into the run's entry for ``results.json``."""

    job: Job
    model: Any
    outcome: Any   # reproductions.common.training.TrainOutcome
    outputs: Any   # model.predict on the test split
    metrics: dict  # classification_metrics of the scored outputs

    def record(self, values: dict, **extra) -> dict:
        return records.run_record(
            self.job.row, self.job.seed, values, variant=self.job.variant,
            **self.outcome.record_fields(), metrics=self.metrics,
            parameters=self.model.count_params(), **extra)


def fit_and_evaluate(ctx: Context, job: Job, *, build: Callable[[], Any],
                     compile: Callable[[Any], None], splits: Mapping[str, Any],
                     scores: Callable | None = None, **train_kwargs) -> Fitted:
    """Seeds, builds, compiles and trains one model for ``job`` (resumable,
    best weights by validation loss), then scores the test split.

    ``splits``: ``{"train", "validation", "test"}`` -> ``ArraySplit``;
    ``scores(outputs) -> class scores`` for models whose outputs are not the
    class probabilities (several heads ...); ``train_kwargs`` go to
    :func:`reproductions.common.training.train` (augmentation, targets ...).
    """
    import numpy as np

    from reproductions.common import metrics, training

    training.set_determinism(job.seed)
    with ctx.strategy.scope():  # variables on every replica (--strategy)
        model = build()
        compile(model)
    if getattr(ctx, "pipeline", None) is not None:  # NumPy batches (reproductions.portable)
        train_kwargs.setdefault("pipeline", ctx.pipeline)
    train_kwargs.setdefault("epochs", ctx.profile.epochs_for(job.row))
    train_kwargs.setdefault("early_stopping_patience", ctx.profile.patience_for(job.row))
    outcome = training.train(
        model, splits["train"], splits["validation"], run_dir=ctx.run_dir(job),
        batch_size=ctx.profile.batch_size, seed=job.seed, verbose=ctx.verbose,
        tensorboard=ctx.options.tensorboard, **train_kwargs)
    outputs = training.predict_proba(model, splits["test"], ctx.profile.batch_size)
    probs = outputs if scores is None else scores(outputs)
    m = metrics.classification_metrics(splits["test"].labels, np.argmax(probs, -1),
                                       splits["test"].class_names)
    return Fitted(job, model, outcome, outputs, m)


# --- one scikit-learn job ---------------------------------------------------
@dataclasses.dataclass
class SklearnFitted:
    """A fitted scikit-learn row (e.g. an SVM on hand-crafted features) and
    its test metrics; :meth:`record` gives its run entry (no epochs)."""

    job: Job
    estimator: Any
    metrics: dict
    fit_time_s: float
    features_per_s: float
    hyperparameters: dict
    wall_time_s: float
    cv_accuracy: float | None = None  # the search's best cross-validated accuracy

    def record(self, values: dict, **extra) -> dict:
        if self.cv_accuracy is not None:
            extra = {"cv_accuracy": self.cv_accuracy, **extra}
        return records.sklearn_record(
            self.job.row, self.job.seed, values, variant=self.job.variant,
            fit_time_s=self.fit_time_s, features_per_s=self.features_per_s,
            hyperparameters=self.hyperparameters, wall_time_s=self.wall_time_s,
            metrics=self.metrics, **extra)


def fit_sklearn(job: Job, estimator, features: Callable,
                splits: Mapping[str, Any]) -> SklearnFitted:
    """Extracts features (``features(images) -> (N, D)`` array) of the train
    and test splits, fits ``estimator`` on the training features (a
    ``GridSearchCV`` chooses its hyper-parameters by cross-validation on the
    training split only) and scores the test split.

    Records the extraction speed (images/s over both splits), the fit time,
    the chosen hyper-parameters (``best_params_``; ``{}`` for a plain
    estimator) and the search's cross-validated accuracy (``best_score_``,
    when the estimator scores by accuracy, its default): next to the test
    accuracy it shows what a split that mixes the training cells is worth.
    The fit runs with one BLAS thread: on 2 shared cores OpenBLAS's threads
    stalled small scikit-learn fits by a factor of 200
    (a 0.06 s logistic regression took 14 s) while a training run was busy.
    """
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    from reproductions.common import metrics

    start = time.perf_counter()
    x_train = features(splits["train"].images)
    x_test = features(splits["test"].images)
    extract_s = time.perf_counter() - start
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=job.seed)
    fit_start = time.perf_counter()
    with threadpool_limits(1):
        estimator.fit(x_train, splits["train"].labels)
        fit_s = time.perf_counter() - fit_start
        predicted = estimator.predict(x_test)
    m = metrics.classification_metrics(splits["test"].labels, predicted,
                                       splits["test"].class_names)
    chosen = {k: (v.item() if hasattr(v, "item") else v)
              for k, v in getattr(estimator, "best_params_", {}).items()}
    cv = getattr(estimator, "best_score_", None)
    if getattr(estimator, "scoring", None) not in (None, "accuracy"):  # another score
        cv = None
    return SklearnFitted(job, estimator, m, fit_s,
                         (len(x_train) + len(x_test)) / max(extract_s, 1e-9), chosen,
                         time.perf_counter() - start,
                         None if cv is None else float(cv))
