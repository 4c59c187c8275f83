"""Loaded by pytest before it collects any test module: the test process
runs in the commands' environment (``reproductions.common.tf_runtime.
command_environment``: TensorFlow's oneDNN kernels on, its C++ INFO notices
off), set here explicitly before any test module imports TensorFlow --
importing the package itself changes nothing in the environment."""
import os
import sys

#: What the environment said before it was set here (for the test).
USER_ONEDNN = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
TENSORFLOW_WAS_IMPORTED = "tensorflow" in sys.modules

from reproductions.common import tf_runtime  # noqa: E402

tf_runtime.command_environment()
