from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from hub.web.accounts import verify_password
from hub.web.cli import admin


def test_admin_create_reads_the_password_file_and_refuses_a_second_account(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "pw.txt"
    secret.write_text("a long enough password\n")
    runner = CliRunner()
    args = ["create", "--data", str(tmp_path), "--user", "alice", "--password-file", str(secret)]
    result = runner.invoke(admin, args)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(tmp_path / "hub.db")
    assert verify_password(conn, "alice", "a long enough password")
    assert not verify_password(conn, "alice", "another password")
    stored = conn.execute("SELECT password_hash FROM web_users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "a long enough" not in stored
    conn.close()
    again = runner.invoke(admin, args)
    assert again.exit_code == 1 and "exists already" in again.output


def test_admin_create_asks_twice_and_refuses_a_short_password(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(admin, ["create", "--data", str(tmp_path), "--user", "bob"],
                       input="passwordpassword\npasswordpassword\n")
    assert ok.exit_code == 0, ok.output
    short = runner.invoke(admin, ["create", "--data", str(tmp_path), "--user", "eve"],
                          input="short\nshort\n")
    assert short.exit_code == 1 and "at least 8" in short.output
    listed = runner.invoke(admin, ["list", "--data", str(tmp_path)])
    assert listed.output.split() == ["bob"]
