import gc

import pytest

from cli.gcpause import paused


@pytest.fixture
def collector():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_inside_and_back_on_after(collector):
    gc.enable()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_turns_it_back_on(collector):
    gc.enable()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off(collector):
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_a_policy_check_runs_with_the_collector_paused(collector, monkeypatch):
    from cli import policycheck
    from cli.capture import Capture

    seen = []
    monkeypatch.setattr("policies.evaluate.evaluate", lambda stack, ctx: seen.append(gc.isenabled()) or _empty())
    gc.enable()
    policycheck.check_capture(Capture(environment="dev", project="civic", resources=(), source="plan"), None)
    assert seen == [False] and gc.isenabled()


def _empty():
    from policies.evaluate import Evaluation

    return Evaluation(policies=(), enforcement={}, results=(), findings=(), resource_count=0)
