"""This paper's profiles: work tag on the real dataset and sha256[:16] of the
protocol fields, pinned (checked by tests/test_work_tags.py)."""

PINNED = {
    "smoke": ("fe368a93", "2f890f1a7d4eb5a3"),
    "cpu": ("a871ecff", "d7d4c193ccabb17c"),
    "cell_level": ("99206adf", "fc8365003e787b7e"),  # issue #34's cell-level split
    "paper": ("b314fe19", "3ef0e4cb2ffb99b6"),
}
