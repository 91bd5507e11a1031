"""The README's Python snippet, exactly as printed there, against the daemon."""
import contextlib
import io
import re

from daemon import REPOSITORY, Daemon


def readme_snippet() -> str:
    text = (REPOSITORY / "README.md").read_text()
    section = text.split("### Python: `deltastore`", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the README's Python section should hold one python snippet"
    return blocks[0]


def test_readme_snippet_runs_against_the_daemon(daemon: Daemon, monkeypatch) -> None:
    monkeypatch.setenv("DELTASTORE_SOCKET", daemon.socket_path)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(readme_snippet(), "README.md", "exec"), {})
    assert output.getvalue().splitlines() == ["1 2025-01-30 09:15:00+00:00", "readme-1 23500.5", "NOT_FOUND"]
