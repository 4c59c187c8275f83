"""`import layers` is light, and every exported layer is registered for deserialisation."""

import os
import subprocess
import sys
from pathlib import Path

import keras

import layers as L

ROOT = Path(__file__).resolve().parents[2]


def test_import_does_not_touch_datasets_or_models():
    code = (
        "import sys, time, keras\n"
        "t = time.perf_counter(); import layers; dt = time.perf_counter() - t\n"
        "heavy = [m for m in ('tensorflow_datasets', 'pywt', 'reproductions', 'tfds_builders') if m in sys.modules]\n"
        "print(repr((dt, heavy)))\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds, heavy = eval(out.stdout.strip().splitlines()[-1])
    assert heavy == []
    assert seconds < 2.0, f"`import layers` took {seconds:.2f}s on top of keras"


#: Layers that keep the package name they were first saved under.
FIRST_PACKAGES = {"Standardization": "hep2repro_dcae"}


def test_every_exported_layer_is_registered_under_hep2repro():
    layer_classes = [getattr(L, n) for n in L.__all__ if isinstance(getattr(L, n), type)]
    assert {"SoftThreshold", "DilatedBlock", "DRIBlock", "InceptionBlock", "SRResidual", "WaveletTransform2D",
            "MaxPoolingWithArgmax2D", "MaxUnpooling2D", "Standardization"} <= {c.__name__ for c in layer_classes}
    for cls in layer_classes:
        assert issubclass(cls, keras.layers.Layer)
        name = f"{FIRST_PACKAGES.get(cls.__name__, 'hep2repro')}>{cls.__name__}"
        assert keras.saving.get_registered_name(cls) == name
        assert keras.saving.get_registered_object(name) is cls
        assert cls.__doc__ and len(cls.__doc__) > 200  # documented (paper / equation)
