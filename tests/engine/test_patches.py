"""The registry of patch states: active, not used, failed for good; one warning per failed patch."""

from __future__ import annotations

import logging

import pytest

from engine import patches

NAME = "test_only_patch"


@pytest.fixture(autouse=True)
def forget_test_patch():
    patches.forget(NAME)
    yield
    patches.forget(NAME)


def test_states_list_every_known_patch_and_those_not_tried_say_so() -> None:
    states = patches.states()
    assert list(states)[: len(patches.NAMES)] == list(patches.NAMES)
    assert all(set(info) == {"active", "why"} for info in states.values())
    assert NAME not in states
    patches.unused(NAME, "not used: test")
    assert patches.states()[NAME] == {"active": False, "why": "not used: test"}


def test_a_failure_warns_once_and_stays(caplog: pytest.LogCaptureFixture) -> None:
    assert patches.activate(NAME, "on")
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        patches.fail(NAME, "missing x.y")
        patches.fail(NAME, "failed at call: KeyError: 'z'")
    messages = [r.getMessage() for r in caplog.records if r.name == "engine.patches"]
    assert len(messages) == 1 and NAME in messages[0] and "missing x.y" in messages[0]
    assert patches.failed(NAME)
    assert not patches.activate(NAME, "on again")  # once off, off for the process
    patches.unused(NAME, "not used: whatever")
    assert patches.states()[NAME] == {"active": False, "why": "missing x.y"}


def test_not_used_never_hides_an_active_patch() -> None:
    patches.activate(NAME, "the embedder uses it")
    patches.unused(NAME, "not used: the reranker chose another path")
    assert patches.states()[NAME] == {"active": True, "why": "the embedder uses it"}
