"""The labelling loop: k/m arithmetic of a budget, the three uncertainty
scores against hand computation, the selection, and the resumable loop
(same seed -> same cells; a killed loop resumes at its round, also inside a
fine-tuning, and ends where an uninterrupted one does)."""
import json

import keras
import numpy as np
import pytest

from reproductions.active_transfer import active, paper
from reproductions.active_transfer.data import take
from reproductions.common import training
from reproductions.common.data import ArraySplit


# --- budget arithmetic ----------------------------------------------------------
def test_the_papers_20_percent_of_lshep2():
    plan = active.budget_plan(paper.LSHEP2["train"], 0.2)
    assert plan.budget == paper.LSHEP2["budget_20"] == 10_152
    # the paper rounded 15 % / 10 % of 10,152 to 1,500 / 1,000; we keep the fractions
    assert (plan.initial, plan.step) == (1_523, 1_015)
    assert plan.sizes == (1_523,) + (1_015,) * 8 + (509,)
    assert plan.rounds == 10 and sum(plan.sizes) == plan.budget


def test_the_i3a_pool_at_every_budget():
    pool = 9_760  # i3a_task1/ap80 training cells less the validation cut and its twins
    budgets = {f: active.budget_plan(pool, f / 100) for f in paper.BUDGETS}
    assert {f: p.budget for f, p in budgets.items()} == {
        10: 976, 20: 1_952, 40: 3_904, 60: 5_856, 80: 7_808, 100: 9_760}
    assert budgets[20].sizes == (293,) + (195,) * 8 + (99,)
    assert budgets[10].sizes == (146,) + (98,) * 8 + (46,)
    assert budgets[100].sizes == (9_760,)  # every cell: no labelling rounds
    assert all(p.rounds == 10 for f, p in budgets.items() if f < 100)
    rs = active.budget_plan(pool, 0.2, sampling=active.RANDOM)
    assert rs.sizes == (1_952,) and rs.step == 0


@pytest.mark.parametrize("pool", [1, 2, 7, 30, 101, 997, 50_758])
@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.2, 0.33, 0.6, 1.0])
def test_rounds_add_up_to_the_budget(pool, fraction):
    plan = active.budget_plan(pool, fraction)
    assert sum(plan.sizes) == plan.budget == min(pool, max(1, int(fraction * pool + 0.5)))
    assert plan.sizes[0] == plan.initial >= 1 and all(s >= 1 for s in plan.sizes)
    assert all(s == plan.step for s in plan.sizes[1:-1]) and plan.sizes[-1] <= max(plan.step,
                                                                                plan.budget)
    assert plan.labelled_after()[-1] == plan.budget


def test_bad_budgets():
    with pytest.raises(ValueError, match="fraction"):
        active.budget_plan(100, 0)
    with pytest.raises(ValueError, match="empty"):
        active.budget_plan(0, 0.2)


# --- uncertainty ----------------------------------------------------------------
PROBS = np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0],
                  [0.5, 0.3, 0.2]])


def test_entropy_is_minus_sum_p_log_p():
    by_hand = [-(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1)),
               -(2 * 0.4 * np.log(0.4) + 0.2 * np.log(0.2)), np.log(3), 0.0,
               -(0.5 * np.log(0.5) + 0.3 * np.log(0.3) + 0.2 * np.log(0.2))]
    np.testing.assert_allclose(active.uncertainty(PROBS, "entropy"), by_hand, atol=1e-12)
    # eq. 3 as printed (no minus sign) would rank the most certain cell first
    assert np.argmax(active.uncertainty(PROBS, "entropy")) == 2


def test_least_confidence_and_margin_rank_eq_4_and_5_lowest_first():
    least = active.uncertainty(PROBS, "least_confidence")
    margin = active.uncertainty(PROBS, "margin")
    np.testing.assert_allclose(least, [0.3, 0.6, 2 / 3, 0.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(margin, [0.5, 1.0, 1.0, 0.0, 0.8], atol=1e-12)
    confidence = PROBS.max(axis=1)                                   # eq. 4
    top2 = np.sort(PROBS, axis=1)[:, ::-1]
    margin_c = top2[:, 0] - top2[:, 1]                               # eq. 5
    np.testing.assert_array_equal(np.argsort(-least, kind="stable"),
                                  np.argsort(confidence, kind="stable"))
    np.testing.assert_array_equal(np.argsort(-margin, kind="stable"),
                                  np.argsort(margin_c, kind="stable"))


def test_float32_softmax_rows_are_accepted_and_unknown_criteria_refused():
    logits = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    probs = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    assert active.uncertainty(probs, "entropy").shape == (50,)
    with pytest.raises(ValueError, match="unknown criterion"):
        active.uncertainty(probs, "variance")


def test_most_uncertain_takes_the_highest_and_breaks_ties_with_the_seed():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.9, 0.2])
    picks = {tuple(active.most_uncertain(scores, 2, np.random.default_rng(s)))
             for s in range(20)}
    assert all(set(p) <= {1, 3, 4} for p in picks) and len(picks) > 1
    again = active.most_uncertain(scores, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(again, active.most_uncertain(scores, 4,
                                                               np.random.default_rng(7)))
    assert again[3] == 2


def test_random_order_and_area():
    np.testing.assert_array_equal(active.random_order(50, 3), active.random_order(50, 3))
    assert not np.array_equal(active.random_order(50, 3), active.random_order(50, 4))
    assert sorted(active.random_order(50, 3)) == list(range(50))
    assert active.normalised_area([10, 20, 100], [50, 70, 90]) == pytest.approx(
        ((50 + 70) / 2 * 10 + (70 + 90) / 2 * 80) / 90)
    assert active.normalised_area([20], [61.0]) == 61.0


# --- the loop ---------------------------------------------------------------------
CLASSES = ("a", "b", "c")


def cells(n, seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = rng.normal(size=(n, 6, 6, 1)).astype(np.float32) + labels[:, None, None, None]
    return ArraySplit(images, labels.astype(np.int64), np.array([f"{seed}-{i}" for i in range(n)]),
                      CLASSES)


POOL, VALIDATION = cells(40, 1), cells(12, 2)


class Recorder:
    """A learner on a tiny Keras network that records every fine-tuning:
    ``(folder, trained here)``; ``fail`` makes a chosen call raise."""

    def __init__(self, fail_at_call=None, fail_in_epoch=None):
        self.calls, self.fail_at_call, self.fail_in_epoch = [], fail_at_call, fail_in_epoch

    def make_model(self):
        training.set_determinism(0)
        inputs = keras.Input((6, 6, 1))
        x = keras.layers.Flatten()(inputs)
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))

    def fit(self, model, labelled, run_dir):
        trained = not (run_dir / "done.json").exists()
        self.calls.append((run_dir.name, trained))
        if self.fail_at_call == len(self.calls):
            raise KeyboardInterrupt("killed before the fine-tuning")
        callbacks = []
        if self.fail_in_epoch is not None and len(self.calls) == self.fail_in_epoch[0]:
            callbacks = [Kill(self.fail_in_epoch[1])]
        model.compile(optimizer=keras.optimizers.Adam(0.05), run_eagerly=True,
                      loss="sparse_categorical_crossentropy")
        return training.train(model, take(POOL, labelled), VALIDATION, run_dir=run_dir,
                              epochs=2, batch_size=8, seed=0, tensorboard=False, verbose=0,
                              extra_callbacks=callbacks)

    def predict(self, model, indices):
        return model.predict(POOL.images[indices], verbose=0)

    def learner(self):
        return active.Learner(self.make_model, self.fit, self.predict)


class Kill(keras.callbacks.Callback):
    """Interrupts the fit as epoch ``epoch`` begins: the epochs before it are
    finished and backed up (``training.train`` backs up after every other
    callback has recorded an epoch)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("killed inside the fine-tuning")


PLAN = active.budget_plan(len(POOL), 0.5)  # b = 20: k = 3, m = 2 -> 10 rounds


def run(recorder, root, criterion="entropy", seed=0, plan=PLAN):
    return active.run_loop(recorder.learner(), plan, criterion=criterion, seed=seed,
                           loop_dir=root / f"{criterion}-{seed}", fits_dir=root / "fits",
                           start="tiny", labels=POOL.labels)


def added(result):
    return [r["added"] for r in result.state.rounds]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted loop."""
    recorder = Recorder()
    result = run(recorder, tmp_path_factory.mktemp("reference"))
    return result, result.model.predict(POOL.images, verbose=0), recorder


def test_an_uninterrupted_loop_spends_the_budget(reference):
    result, _, recorder = reference
    assert PLAN.sizes == (3,) + (2,) * 8 + (1,)
    assert [len(a) for a in added(result)] == list(PLAN.sizes)
    labelled = result.state.labelled()
    assert len(set(labelled.tolist())) == PLAN.budget  # no cell labelled twice
    np.testing.assert_array_equal(added(result)[0], active.random_order(len(POOL), 0)[:3])
    assert result.state.finished and all(trained for _, trained in recorder.calls)
    assert [r["labelled"] for r in result.state.rounds] == PLAN.labelled_after()
    assert sum(sum(r["added_per_class"]) for r in result.state.rounds) == PLAN.budget
    assert result.wall_time_s == pytest.approx(sum(r["wall_time_s"] for r in result.state.rounds))
    assert all(r["wall_time_s"] > 0 for r in result.state.rounds)


def test_the_uncertain_cells_are_chosen(reference):
    """Round 2's cells are the most uncertain (entropy) under round 1's network."""
    result, _, _ = reference
    model = Recorder().make_model()
    fits = result.state.path.parent.parent / "fits"
    model.load_weights(fits / result.state.rounds[0]["fit"] / "best.weights.h5")
    unlabelled = np.setdiff1d(np.arange(len(POOL)), result.state.rounds[0]["added"])
    scores = active.uncertainty(model.predict(POOL.images[unlabelled], verbose=0), "entropy")
    chosen = np.isin(unlabelled, result.state.rounds[1]["added"])
    assert chosen.sum() == 2 and scores[~chosen].max() <= scores[chosen].min()


def test_same_seed_same_selection(reference, tmp_path):
    result, probabilities, _ = reference
    again = run(Recorder(), tmp_path)
    assert added(again) == added(result)
    np.testing.assert_array_equal(again.model.predict(POOL.images, verbose=0), probabilities)
    other = run(Recorder(), tmp_path, seed=1)
    assert added(other)[0] != added(result)[0]


def test_a_killed_loop_resumes_at_its_round(reference, tmp_path):
    result, probabilities, _ = reference
    with pytest.raises(KeyboardInterrupt):
        run(Recorder(fail_at_call=3), tmp_path)  # round 3 chosen, not fine-tuned
    state = json.loads((tmp_path / "entropy-0" / "state.json").read_text())
    assert [r["done"] for r in state["rounds"]] == [True, True, False]
    assert [r["added"] for r in state["rounds"]] == added(result)[:3]
    resumed = Recorder()
    again = run(resumed, tmp_path)
    assert [trained for _, trained in resumed.calls] == [False, False] + [True] * 8
    # the rounds fine-tuned before the kill still count in the loop's time
    assert again.wall_time_s > sum(r["wall_time_s"] for r in again.state.rounds[2:])
    assert added(again) == added(result)
    np.testing.assert_array_equal(again.model.predict(POOL.images, verbose=0), probabilities)


def test_a_loop_killed_inside_a_fine_tuning_ends_where_it_would_have(reference, tmp_path):
    result, probabilities, _ = reference
    with pytest.raises(KeyboardInterrupt):
        run(Recorder(fail_in_epoch=(5, 1)), tmp_path)  # round 5, after its 1st epoch
    fit = json.loads((tmp_path / "entropy-0" / "state.json").read_text())["rounds"][4]["fit"]
    assert (tmp_path / "fits" / fit / "backup").is_dir()
    again = run(Recorder(), tmp_path)
    assert added(again) == added(result)
    assert again.state.rounds[4]["epochs"] == 2
    np.testing.assert_array_equal(again.model.predict(POOL.images, verbose=0), probabilities)


def test_loops_that_start_alike_share_their_first_fine_tuning(reference, tmp_path):
    first = Recorder()
    entropy = run(first, tmp_path)
    margin_recorder = Recorder()
    margin = run(margin_recorder, tmp_path, criterion="margin")
    assert added(margin)[0] == added(entropy)[0]
    assert margin_recorder.calls[0] == (entropy.state.rounds[0]["fit"], False)  # not retrained
    # the shared fine-tuning's time is the entropy loop's, not counted twice
    assert margin.state.rounds[0]["wall_time_s"] == 0.0
    assert margin.wall_time_s == pytest.approx(sum(r["wall_time_s"]
                                                   for r in margin.state.rounds[1:]))
    assert all(trained for _, trained in margin_recorder.calls[1:])
    random = run(Recorder(), tmp_path, criterion=active.RANDOM,
                 plan=active.budget_plan(len(POOL), 0.5, sampling=active.RANDOM))
    assert added(random)[0][:3] == added(entropy)[0]  # RS labels a superset of AL's first k


def test_a_loop_from_another_start_is_begun_again(tmp_path):
    """A stored loop whose start network differs (another source, other
    code) is not resumed: every round is chosen and fine-tuned again, under
    new keys."""
    plan, logged = active.budget_plan(len(POOL), 0.2), []
    first = run(Recorder(), tmp_path, plan=plan)
    recorder = Recorder()
    again = active.run_loop(recorder.learner(), plan, criterion="entropy", seed=0,
                            loop_dir=tmp_path / "entropy-0", fits_dir=tmp_path / "fits",
                            start="other", labels=POOL.labels, log=logged.append)
    assert "from another start network (tiny)" in logged[0]
    assert again.state.meta["start"] == "other" and len(again.state.rounds) == plan.rounds
    assert not {r["fit"] for r in first.state.rounds} & {r["fit"] for r in again.state.rounds}
    assert [trained for _, trained in recorder.calls] == [True] * plan.rounds


def test_a_folder_of_another_loop_is_refused(reference, tmp_path):
    run(Recorder(), tmp_path, plan=active.budget_plan(len(POOL), 0.1))
    with pytest.raises(ValueError, match="another labelling loop .*plan"):
        active.run_loop(Recorder().learner(), PLAN, criterion="entropy", seed=0,
                        loop_dir=tmp_path / "entropy-0", fits_dir=tmp_path / "fits",
                        start="tiny")
