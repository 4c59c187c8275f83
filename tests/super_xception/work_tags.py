"""This paper's profiles: work tag on the real dataset and sha256[:16] of the
protocol fields, pinned (checked by tests/test_work_tags.py)."""

PINNED = {
    "demo": ("0a7e7469", "8e0a939b9e1af92a"),
    "smoke": ("34a4f2ff", "8ba2dbf27929ea89"),
    "cpu": ("d616dc14", "543ae0639bb8b353"),
    "quick": ("28cf91bd", "57046c997f534e19"),
    "paper": ("c5878e13", "7ff9a9d92c71c4dd"),
}
