"""The old single module of ``results/<paper>/``, kept as a facade.

What it did is now four modules of one job each:

- ``common.records``: what ``results.json`` holds (schema, run records,
  ``check``);
- ``common.store``: ``ResultsStore``, the results folder (locking, merging
  what other processes stored);
- ``common.summary``: statistics over runs (``aggregate``, ``paired_gap``,
  ``throughput`` ...);
- ``common.report``: the Markdown tables and the README.

The code in ``reproductions/`` imports those modules. This one re-exports
their public names (and the two helpers ``_locked`` / ``_atomic_write`` under
their old names) so that older imports, ``from reproductions.common import
results``, keep working; new code should import the module that does the
job. It imports no TensorFlow, as none of the four does.
"""
from __future__ import annotations

from reproductions.common.records import (  # noqa: F401
    REQUIRED_KIND_FIELDS, REQUIRED_PROVENANCE_FIELDS, REQUIRED_RUN_FIELDS,
    REQUIRED_TOP_FIELDS, SCHEMA_VERSION, SYNTHETIC_MARK, USER_DATA_MARK, check,
    missing_fields, run_record, sklearn_record, upgrade)
from reproductions.common.report import (  # noqa: F401
    claims_markdown, commits_cell, cpus_cell, format_value, markdown_tables,
    metric_label, per_class_table, ranking_sentences, write_readme)
from reproductions.common.store import (  # noqa: F401
    PROSE_PROFILE_FIELDS, ResultsStore, atomic_write, data_identity, locked,
    protocol_fields, run_key, same_splits)
from reproductions.common.summary import (  # noqa: F401
    CAP_WINDOW, STOPPED_AT_CAP, aggregate, best_val_loss, capped_run_trend,
    comparison_rows, paired_gap, per_seed, table_ranking, throughput)

_locked = locked
_atomic_write = atomic_write
