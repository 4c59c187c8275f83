"""``python -m tests.portable._train_and_report REPORT ARGS...``: runs
``python -m reproductions.portable ARGS...`` in this process, then writes to
REPORT (JSON) its exit status, the Keras backend and whether ``tensorflow``
(or ``tensorflow_datasets``) is in ``sys.modules`` at the end."""
import json
import sys

from reproductions.portable.__main__ import main

if __name__ == "__main__":
    report, argv = sys.argv[1], sys.argv[2:]
    code = main(argv)
    import keras

    with open(report, "w") as f:
        json.dump({"code": code, "backend": keras.backend.backend(),
                   "imported": sorted(m for m in ("tensorflow", "tensorflow_datasets")
                                      if m in sys.modules)}, f)
    sys.exit(code)
