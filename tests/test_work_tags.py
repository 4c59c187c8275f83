"""Every profile keeps its work tag (checkpoint folder) and its protocol.

A long run resumes from ``~/.cache/hep2repro/<paper>/<profile>-<tag>`` and a
results folder takes in runs of the same protocol only
(``ResultsStore._same_settings``). A refactor of profiles or settings that
changed either would silently restart long runs or refuse stored results.
Each paper pins its profiles' values in ``tests/<paper>/work_tags.py``
(``PINNED``: profile -> (work tag on the real dataset, sha256[:16] of the
protocol fields)); they change only when a profile's protocol does (then say
so there, and rerun). The papers come from the registry, so a new paper is
covered once it declares its pins.
"""
import hashlib
import importlib
import json

import pytest

from reproductions.common import experiment, results
from reproductions.common.paper import PAPERS, load_paper


def _pinned(key):
    try:
        return importlib.import_module(f"tests.{key}.work_tags").PINNED
    except ModuleNotFoundError:
        pytest.fail(f"{key}: pin its profiles' work tags in tests/{key}/work_tags.py")


def _profiles():
    for key in PAPERS:
        for name, profile in importlib.import_module(
                f"reproductions.{key}.profiles").PROFILES.items():
            yield f"{key}/{name}", key, profile


@pytest.mark.parametrize("key", PAPERS)
def test_every_profile_is_pinned(key):
    profiles = importlib.import_module(f"reproductions.{key}.profiles").PROFILES
    assert sorted(profiles) == sorted(_pinned(key))


@pytest.mark.parametrize("name,key,profile", list(_profiles()),
                         ids=[name for name, _, _ in _profiles()])
def test_work_tag_and_protocol_are_unchanged(name, key, profile):
    paper = load_paper(key)
    info = {role: {"name": ds.name, "config": ds.config} for role, ds in paper.datasets.items()}
    protocol = json.dumps(results.protocol_fields(profile.to_json()), sort_keys=True)
    assert (experiment._work_tag(profile, info),
            hashlib.sha256(protocol.encode()).hexdigest()[:16]) == _pinned(key)[profile.name]
