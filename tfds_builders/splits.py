"""The suite's deterministic split rule, public: the real-data builders make
their splits with it, and ``reproductions.common.image_folder`` makes a user's
image folder's splits with the same rule.

- :func:`stratified_assignment` -- keys grouped by stratum, cut into splits by
  fraction within each stratum, in :func:`hash_order`;
- :func:`hash_order` -- a salted sha256 order, independent of library versions;
- :func:`round_half_up` -- the rounding of the split sizes.

Defined in ``tfds_builders._common`` (the builders' shared helpers, whose
source is part of every builder's identity), re-exported here.
"""
from tfds_builders._common import hash_order, round_half_up, stratified_assignment

__all__ = ["hash_order", "round_half_up", "stratified_assignment"]
