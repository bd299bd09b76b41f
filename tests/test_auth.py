"""Write tokens: configuration (environment and hashed file), matching, the token command."""

from __future__ import annotations

import pytest

from wopgraph import auth
from wopgraph.cli import main
from wopgraph.config import ConfigError


@pytest.mark.parametrize(
    ("header", "agent"),
    [
        ("Bearer alpha-token", "alice"),
        ("bearer   alpha-token  ", "alice"),
        ("Bearer bare-token", "token-" + auth.digest("bare-token").hex()[:8]),
        ("Bearer from-file", "carol"),
        ("Bearer alpha-tokenX", None),
        ("Basic alpha-token", None),
        ("alpha-token", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_a_token_names_its_agent(tmp_path, header, agent):
    file = tmp_path / "tokens"
    file.write_text(f"# writers\ncarol sha256:{auth.digest('from-file').hex()}  # curator\n\n")
    tokens = auth.load("alice:alpha-token, bare-token", str(file))
    assert tokens.agent(header) == agent


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("carol sha256:1234", ":2:"),
        ("carol " + "a" * 64, ":2:"),
        ("car ol sha256:" + "a" * 64, ":2:"),
    ],
)
def test_a_bad_token_file_line_is_named(tmp_path, line, where):
    file = tmp_path / "tokens"
    file.write_text(f"# header\n{line}\n")
    with pytest.raises(ConfigError, match=f"{file}{where}"):
        auth.load(None, str(file))


def test_bad_environment_tokens_are_refused():
    with pytest.raises(ConfigError, match="write_tokens"):
        auth.load("bad name:x", None)
    with pytest.raises(ConfigError, match="token_file .*cannot read"):
        auth.load(None, "/nonexistent/tokens")
    assert not auth.load(None, None)


def test_the_token_command_prints_a_token_its_file_accepts(tmp_path, capsys):
    assert main(["token", "dana"]) == 0
    out = capsys.readouterr().out.splitlines()
    token = out[0].rsplit(": ", 1)[1]
    line = out[1].rsplit(": ", 1)[1]
    file = tmp_path / "tokens"
    file.write_text(line + "\n")
    assert auth.load(None, str(file)).agent(f"Bearer {token}") == "dana"
    assert token not in file.read_text()
    assert main(["token", "no spaces please"]) == 2
