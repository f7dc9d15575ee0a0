import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from treatments import rules

REPO = Path(__file__).resolve().parents[1]
CASE = {
    "patient": {"age_years": 40},
    "sites": [{"location": "forehead", "count": 1, "largest_mm": 4.0, "months_present": 36}],
}


def test_recommend_prints_the_output_json(tmp_path):
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(CASE))
    out = StringIO()
    call_command("recommend", str(case_file), stdout=out)
    assert json.loads(out.getvalue()) == rules.recommend(CASE)


def test_recommend_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", StringIO(json.dumps(CASE)))
    out = StringIO()
    call_command("recommend", "-", stdout=out)
    assert json.loads(out.getvalue())["rules_version"] == rules.RULES_BASE_VERSION


def test_recommend_malformed_json_says_so(tmp_path):
    case_file = tmp_path / "case.json"
    case_file.write_text("{oops")
    with pytest.raises(CommandError, match="not valid JSON") as raised:
        call_command("recommend", str(case_file))
    assert raised.value.returncode == 2


def _run(args, stdin):
    return subprocess.run(
        [sys.executable, "manage.py", "recommend", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_recommend_bad_input_exits_2_with_problems_on_stderr():
    bad = {"patient": {"age_years": "old"}, "sites": [{"location": "moon"}]}
    result = _run(["-"], json.dumps(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "patient.age_years: must be a number from 0 to 130"
    assert lines[1].startswith("sites[0].location: must be one of: eyelid, periorbital")


def test_recommend_valid_input_exits_0_from_the_shell():
    result = _run(["-"], json.dumps(CASE))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == rules.recommend(CASE)


def test_recommend_without_secret_key_is_a_configuration_error_exit_1_not_bad_input():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"} | {"DJANGO_DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "recommend", "-"],
        cwd=REPO,
        env=env,
        input=json.dumps(CASE),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("Milia Clinic cannot start: DJANGO_SECRET_KEY is not set.")


def test_recommend_non_finite_number_says_so():
    # Python's json reads NaN and Infinity; the rules refuse them by name.
    result = _run(["-"], '{"patient": {"age_years": NaN}, "sites": [{"location": "cheek", '
                  '"largest_mm": Infinity}]}')  # fmt: skip
    assert (result.returncode, result.stderr.splitlines()) == (
        2,
        [
            "patient.age_years: must be a finite number",
            "sites[0].largest_mm: must be a finite number",
        ],
    )
