from engine.cli import main


def test_bundled_example_checks(capsys):
    code = main(["check", "examples/riverside"])
    out = capsys.readouterr().out
    assert "Verdict:" in out
    assert code == 0
