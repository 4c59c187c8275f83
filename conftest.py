"""Loaded by pytest before it collects any test module: importing the package
first turns TensorFlow's oneDNN kernels on in the test process as well
(``reproductions.common.tf_runtime.prefer_onednn``), whichever test module
imports TensorFlow first."""
import os
import sys

#: What the environment said before the package was imported (for the test).
USER_ONEDNN = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
TENSORFLOW_WAS_IMPORTED = "tensorflow" in sys.modules

import reproductions  # noqa: E402,F401
