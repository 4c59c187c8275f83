"""What the command-line tests of every paper share."""


def smoke_argv(root, *extra, data_dir=None):
    """``python -m reproductions.<paper>`` arguments for the smoke profile on
    the synthetic data, writing results to ``root/out``, checkpoints to
    ``root/work`` and TFDS data to ``data_dir`` (default ``root/data``),
    without TensorBoard logs or progress bars; ``extra`` is appended."""
    return ["--profile", "smoke", "--data", "synthetic", "--output-dir", str(root / "out"),
            "--work-dir", str(root / "work"), "--data-dir", str(data_dir or root / "data"),
            "--no-tensorboard", "--verbose", "0", *extra]


def run_smoke(main, root, *extra):
    """Runs a paper's ``main`` on :func:`smoke_argv`; ``(root, argv)``."""
    argv = smoke_argv(root, *extra)
    assert main(argv) == 0
    return root, argv
