"""The ``paper`` profile's path (what a GPU user runs): every network of
Table 2 and of the ablation built at the paper's size (224×224, 9 classes)
with its pinned parameter count, and ONE training step with the profile's
optimiser. The step runs eagerly: tracing a full-size network costs more on
2 CPU cores than the step itself; the compiled ``fit`` path is exercised by
the smoke command test and ``tests/common/test_training.py``."""
import keras
import numpy as np
import pytest

from reproductions.common import registry
from reproductions.drsn_dc import models, paper, protocol
from reproductions.drsn_dc.profiles import PROFILES
from tests.drsn_dc.test_models import expected_parameters

PAPER = PROFILES["paper"]
CLASSES = len(paper.TABLE1_CLASSES)
#: count_params() at 224×224×1 and 9 classes, as models.py registers them.
PAPER_COUNTS = {e.name: e.paper_count for e in registry.model_entries("drsn_dc")}


def test_paper_profile_is_the_papers_protocol_where_it_has_one():
    assert PAPER.image_size == paper.INPUT_SIZE == 224
    assert PAPER.settings.whole_expanded_set is True  # every epoch: all 144 versions
    assert PAPER.subset == {}
    assert PAPER.settings.learning_rate == protocol.LEARNING_RATE
    assert set(PAPER.multi_seed_rows) == {"resnet50", "drsn_dc"} and len(PAPER.seeds) == 3


@pytest.mark.parametrize("name", list(models.BUILDERS))
def test_paper_counts_are_the_closed_forms(name):
    assert expected_parameters(name, 224, CLASSES) == PAPER_COUNTS[name]


@pytest.mark.parametrize("name", list(models.BUILDERS))
def test_network_at_paper_size_trains_one_step(name):
    keras.utils.set_random_seed(0)
    size = PAPER.image_size
    model = models.build(name, input_shape=(size, size, 1), classes=CLASSES)
    assert model.count_params() == PAPER_COUNTS[name]
    assert model.output_shape == (None, CLASSES)
    protocol.compile_model(model, learning_rate=PAPER.settings.learning_rate, run_eagerly=True)
    head = model.get_layer("predictions").kernel
    before = keras.ops.convert_to_numpy(head).copy()
    x = np.random.default_rng(0).random((2, size, size, 1), dtype=np.float32)
    loss, accuracy = model.train_on_batch(x, np.array([0, CLASSES - 1]))
    assert np.isfinite(loss) and 0 < loss < 20 and 0 <= accuracy <= 1
    assert int(model.optimizer.iterations.numpy()) == 1
    assert not np.array_equal(keras.ops.convert_to_numpy(head), before)
    del model
    keras.backend.clear_session()
