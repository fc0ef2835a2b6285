"""Playbook documents: the default is valid; every error names its line and field."""

from __future__ import annotations

import pytest

from arcollect.errors import InvalidInput
from arcollect.playbook.rules import default_text, parse


def test_the_default_playbook_is_valid_and_has_the_documented_segments():
    pb = parse(default_text())
    assert [s.name for s in pb.segments] == ["key_accounts", "small_balances", "standard"]
    standard = pb.segments[-1]
    assert {s.channel for s in standard.steps} == {"email", "call", "review", "letter", "escalation"}
    assert all(s.channel == "email" for s in pb.segments[1].steps)  # small balances: email only
    assert pb.settings.promise_grace_days == 3


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        parse(text, source="pb.yaml")
    return exc.value.problems or [str(exc.value)]


def test_an_unknown_channel_is_reported_with_its_line_and_field():
    problems = _problems("""name: p
segments:
  - name: all
    steps:
      - id: first
        channel: fax
        from_day: 1
""")
    assert len(problems) == 1
    assert problems[0].startswith("pb.yaml:6: segments.0.steps.0.channel:")
    assert "email" in problems[0]


def test_every_problem_is_listed_at_once():
    problems = _problems("""name: p
settings:
  promise_grace_days: -1
  contact_window: {start: "18:00", end: "09:00"}
segments:
  - name: all
    steps:
      - {id: a, channel: email, from_day: 5, to_day: 1, template: t}
      - {id: b, channel: letter, from_day: 1}
      - {id: c, channel: call, from_day: 1, colour: red}
""")
    text = "\n".join(problems)
    assert "pb.yaml:3: settings.promise_grace_days" in text
    assert "pb.yaml:4: settings.contact_window" in text and "after start" in text
    assert "pb.yaml:8: segments.0.steps.0" in text and "before from_day" in text
    assert "pb.yaml:9: segments.0.steps.1" in text and "needs a template" in text
    assert "pb.yaml:10: segments.0.steps.2.colour" in text


def test_yaml_syntax_errors_name_the_line():
    problems = _problems("name: p\nsegments:\n  - name: [unclosed\n")
    assert problems[0].startswith("pb.yaml:") and "not valid YAML" in problems[0]


def test_duplicate_step_ids_and_segment_names_are_refused():
    text = "\n".join(_problems("""name: p
segments:
  - name: a
    steps: [{id: x, channel: call, from_day: 1}, {id: x, channel: call, from_day: 5}]
"""))
    assert "pb.yaml:3: segments.0: step id 'x' is used twice" in text
    text = "\n".join(_problems("""name: p
segments:
  - name: a
    steps: [{id: x, channel: call, from_day: 1}]
  - name: a
    steps: [{id: y, channel: review, from_day: 1}]
"""))
    assert "segment names used twice: a" in text


def test_a_document_that_is_not_a_mapping_is_refused():
    assert "a playbook is a mapping" in _problems("- just\n- a list\n")[0]


def test_a_bad_shift_time_zone_is_refused():
    text = "\n".join(_problems("""name: p
settings:
  shifts: [{name: us, timezone: Mars/Olympus}]
segments: [{name: a, steps: [{id: x, channel: call, from_day: 1}]}]
"""))
    assert "pb.yaml:3: settings.shifts.0.timezone" in text and "IANA" in text
