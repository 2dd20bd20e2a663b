"""``agritrace record … --idempotency-key``: the same command run again records nothing new."""

from __future__ import annotations

from tests.traceability.conftest import STRAWBERRY, Staff, plain, staff

__all__ = ["staff"]  # fixture used by name

HARVEST = ("record", "harvest", "--signer", "packing_station", "--gtin", STRAWBERRY,
           "--plot", "YK-P1", "--variety", "Hongyan", "--quantity", "100")  # fmt: skip


def test_a_command_run_again_with_its_key_appends_nothing_and_names_the_entry(
    staff: Staff,
) -> None:
    """No --time: the command's 'now' differs between the runs, the request does not."""
    first = plain(staff.ok(*HARVEST, "--lot", "H1", "--idempotency-key", "run-1").stdout)
    size = staff.size()
    again = plain(staff.ok(*HARVEST, "--lot", "H1", "--idempotency-key", "run-1").stdout)
    assert first == f"recorded trace.harvest at entry {size - 1}"
    assert again.startswith(f"already recorded trace.harvest at entry {size - 1}")
    assert staff.size() == size


def test_the_key_with_another_event_is_refused_naming_the_option(staff: Staff) -> None:
    staff.ok(*HARVEST, "--lot", "H1", "--idempotency-key", "run-2")
    size = staff.size()
    error = staff.refused(*HARVEST, "--lot", "H2", "--idempotency-key", "run-2")
    assert error.startswith("error: --idempotency-key: expected a new key for a new event")
    assert staff.size() == size
    bad = staff.refused(*HARVEST, "--lot", "H3", "--idempotency-key", "caf\u00e9")
    assert "--idempotency-key: expected 1 to 255 printable ASCII characters" in bad


def test_help_says_what_the_key_does(staff: Staff) -> None:
    commands = [("record", "harvest"), ("record", "hold"), ("record", "cooling"), ("recall",)]
    commands += [("rules", "load-profile"), ("rules", "load-mrl")]
    for command in commands:
        shown = plain(staff.ok(*command, "--help").stdout)
        assert "--idempotency-key" in shown, command
        assert "records nothing new" in shown, command
