"""This paper's profiles: work tag on the real dataset and sha256[:16] of the
protocol fields, pinned (checked by tests/test_work_tags.py)."""

PINNED = {
    "smoke": ("460bd84b", "4854788e029e3212"),
    "cpu": ("24d98389", "7fb0868c735cd71f"),
    "quick": ("3b26b8a7", "e18f33ec2c8c799b"),
    # N = SCHEDULE_ITERATIONS = 10,000, read off its learning curve (issue #34;
    # protocol in reproductions/dri/NOTES.md), pinned in the commit that set it
    "cpu_schedule": ("192d4f1d", "62ae5dfe0020ee59"),
    "paper": ("92e37bab", "dd7e807ff8edc5d7"),
}
