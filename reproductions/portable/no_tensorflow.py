"""Run as where TensorFlow is not installed: ``import tensorflow`` fails.

Keras imports TensorFlow wherever it is installed, on any backend, to seed
it (``keras.utils.set_random_seed``) and to recognise its types when saving
a model; a portable run on JAX or PyTorch has no use for it, and a machine
without it must run the same code. :func:`block` (``train`` calls it on the
JAX and PyTorch backends; ``tests/backends`` before importing Keras) makes
every import of TensorFlow and TFDS fail, so Keras does without them and any
code of the suite that still needs them fails loudly instead of importing
them.
"""
import importlib.abc
import importlib.machinery
import sys

#: The modules :func:`block` keeps out.
TENSORFLOW = ("tensorflow", "tensorflow_datasets")


class NoTensorFlow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``import tensorflow`` fail as where it is not installed (a
    ``None`` in ``sys.modules`` would not do: Keras reads ``"tensorflow" in
    sys.modules`` as "imported")."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in TENSORFLOW:
            return importlib.machinery.ModuleSpec(name, self)  # no origin: not a file

    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {spec.name!r} (TensorFlow is kept out "
                                  "of this process: reproductions.portable.no_tensorflow)",
                                  name=spec.name)

    def exec_module(self, module):
        raise AssertionError("unreachable")


def block() -> None:
    """Keeps TensorFlow out of this process from now on (it must not be
    imported yet)."""
    imported = [name for name in TENSORFLOW if name in sys.modules]
    if imported:
        raise RuntimeError(f"{', '.join(imported)} already imported")
    if not any(isinstance(finder, NoTensorFlow) for finder in sys.meta_path):
        sys.meta_path.insert(0, NoTensorFlow())
