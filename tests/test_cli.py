"""The CLI's own contract: a mistyped flag is reported by the command it was given to.

argparse's root parser used to report it with the top-level usage ("fingerprint [-h]
[--version] COMMAND ..."), which shows none of the flags the command does take.
"""

from __future__ import annotations

import pytest

from harness.cli import main as cli


def _usage_error(capsys, argv: list[str]) -> list[str]:
    with pytest.raises(SystemExit) as info:
        cli(argv)
    assert info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    ("argv", "usage", "prog"),
    [
        (["check", "cfg.yaml", "--bogus"], "usage: fingerprint check [-h]", "fingerprint check"),
        (["check", "--bogus", "cfg.yaml"], "usage: fingerprint check [-h]", "fingerprint check"),
        (["run", "cfg.yaml", "--bogus"], "usage: fingerprint run [-h]", "fingerprint run"),
        (
            ["probes", "list", "--bogus"],
            "usage: fingerprint probes list",
            "fingerprint probes list",
        ),
    ],
)
def test_an_unknown_flag_shows_the_subcommands_usage(capsys, argv, usage, prog) -> None:
    lines = _usage_error(capsys, argv)
    assert lines[0].startswith(usage), lines
    assert lines[-1] == f"{prog}: error: unrecognized arguments: --bogus", lines
    assert not any("COMMAND ..." in line for line in lines)


def test_an_unknown_flag_before_any_command_keeps_the_top_level_usage(capsys) -> None:
    lines = _usage_error(capsys, ["--bogus"])
    assert lines[-1] == "fingerprint: error: unrecognized arguments: --bogus"
