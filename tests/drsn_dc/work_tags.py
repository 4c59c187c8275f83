"""This paper's profiles: work tag on the real dataset and sha256[:16] of the
protocol fields, pinned (checked by tests/test_work_tags.py)."""

PINNED = {
    "smoke": ("826d8995", "b89d6bdffffe4af4"),
    "cpu": ("3889420a", "75a6293905d737ab"),
    "paper": ("b2921724", "3167193b4fd23d1e"),
}
