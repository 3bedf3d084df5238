"""citecheck.toml: reading, validation errors, and precedence over the defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from citecheck.config import (
    DEFAULT_REPORT_OUTPUTS,
    ArchiveSettings,
    ConfirmationPolicy,
    ReportOutput,
    Schedule,
    Settings,
    archive_settings_from_env,
)
from citecheck.configfile import (
    DEFAULT_CONFIG_NAME,
    ConfigFile,
    archive_overrides,
    load_config,
    report_output,
    resolve_settings,
)
from citecheck.configkeys import REPORT_FORMATS_BY_SUFFIX
from citecheck.errors import InputError
from citecheck.report import FORMATS

FULL = """
sources = "data/sources.csv"
db = "/var/lib/citecheck/archive.db"
verbose = true
quiet = false

[http]
concurrency = 16
per_host = 1
timeout = 12.5
user_agent = "campaign-bot/1.0 (+mailto:web@example.org)"
accepted_status = [999, 429]
resolve = ["intranet.example:10.0.0.5", "v6.example=::1"]
soft404_probe = false

[schedule]
ok_days = 5
failing_days = 1
broken_days = 60
blocked_days = 10.5

[policy]
confirm_failures = 4
confirm_days = 2.5

[exclude]
patterns = ["^https?://intranet\\\\.", "/drafts/"]
domains = ["Example.COM", "*.tracking.example", "bücher.example"]
private = true

[wayback]
url = "https://archive.example/"
access_key_env = "CAMPAIGN_IA_ACCESS"
secret_key_env = "CAMPAIGN_IA_SECRET"
no_save = true
max_saves = 0
capture_max_age_days = 90

[reports]
outputs = ["public/report.html", "report.md", "out/report.JSON", "links.csv"]
"""


def _write(folder: Path, text: str, name: str = DEFAULT_CONFIG_NAME) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(folder: Path, text: str) -> str:
    _write(folder, text)
    with pytest.raises(InputError) as caught:
        load_config(None, cwd=folder)
    return str(caught.value)


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    file = load_config(None, cwd=tmp_path)
    assert file == ConfigFile()
    assert resolve_settings(file, {}) == Settings()


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^other\.toml: no such configuration file$"):
        load_config(Path("other.toml"), cwd=tmp_path)


def test_a_named_file_is_read_relative_to_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    _write(tmp_path / "conf", "[http]\ntimeout = 5", name="site.toml")
    file = load_config(Path("conf/site.toml"), cwd=tmp_path)
    assert file.path == tmp_path / "conf" / "site.toml"
    assert resolve_settings(file, {}).timeout_s == 5.0


def test_every_key_is_read(tmp_path: Path) -> None:
    _write(tmp_path, FULL)
    file = load_config(None, cwd=tmp_path)
    assert file.sources == tmp_path / "data" / "sources.csv"
    assert file.db == Path("/var/lib/citecheck/archive.db")
    assert file.verbose is True and file.quiet is False

    settings = resolve_settings(file, {})
    assert settings.concurrency == 16
    assert settings.per_host == 1
    assert settings.timeout_s == 12.5
    assert settings.user_agent == "campaign-bot/1.0 (+mailto:web@example.org)"
    assert settings.accepted_status == frozenset({999, 429})
    assert settings.resolve == (("intranet.example", "10.0.0.5"), ("v6.example", "::1"))
    assert settings.soft404_probe is False
    assert settings.schedule == Schedule(
        ok=timedelta(days=5),
        failing=timedelta(days=1),
        broken=timedelta(days=60),
        blocked=timedelta(days=10.5),
    )
    assert settings.confirmation == ConfirmationPolicy(failures=4, span=timedelta(days=2.5))
    assert [p.pattern for p in settings.exclude_patterns] == [r"^https?://intranet\.", "/drafts/"]
    assert settings.exclude_domains == ("example.com", "tracking.example", "xn--bcher-kva.example")
    assert settings.exclude_private is True
    assert settings.report_outputs == (
        ReportOutput(tmp_path / "public" / "report.html", "html"),
        ReportOutput(tmp_path / "report.md", "md"),
        ReportOutput(tmp_path / "out" / "report.JSON", "json"),
        ReportOutput(tmp_path / "links.csv", "csv"),
    )


def test_the_wayback_table_feeds_the_archive_settings(tmp_path: Path) -> None:
    _write(tmp_path, FULL)
    file = load_config(None, cwd=tmp_path)
    env = {"CAMPAIGN_IA_ACCESS": "access", "CAMPAIGN_IA_SECRET": "secret", "IA_ACCESS_KEY": "no"}
    overrides = archive_overrides(file, {}, env=env)
    assert overrides == {
        "access_key": "access",
        "secret_key": "secret",
        "wayback_url": "https://archive.example",
        "save": False,
        "max_saves": 0,
        "capture_max_age": timedelta(days=90),
    }
    archive = archive_settings_from_env(**overrides)
    assert isinstance(archive, ArchiveSettings) and archive.authenticated


def test_the_environment_url_wins_over_the_file_and_the_command_line_over_both(
    tmp_path: Path,
) -> None:
    _write(tmp_path, '[wayback]\nurl = "https://file.example"')
    file = load_config(None, cwd=tmp_path)
    env = {"CITECHECK_WAYBACK_URL": "https://env.example"}
    assert "wayback_url" not in archive_overrides(file, {}, env=env)
    assert archive_overrides(file, {}, env={})["wayback_url"] == "https://file.example"
    cli = {"wayback.url": "https://cli.example"}
    assert archive_overrides(file, cli, env=env)["wayback_url"] == "https://cli.example"
    assert archive_overrides(file, {}, env={})["access_key"] is None


def test_the_command_line_wins_over_the_file_and_the_file_over_the_defaults(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "[http]\nconcurrency = 8\nper_host = 1\n[schedule]\nok_days = 3")
    file = load_config(None, cwd=tmp_path)
    settings = resolve_settings(
        file,
        {"http.concurrency": 32, "schedule.broken_days": 10, "reports.outputs": ["r.html"]},
    )
    assert settings.concurrency == 32  # command line
    assert settings.per_host == 1  # file
    assert settings.timeout_s == Settings().timeout_s  # default
    assert settings.schedule == Schedule(ok=timedelta(days=3), broken=timedelta(days=10))
    # Paths from the command line stay relative to the working folder.
    assert settings.report_outputs == (ReportOutput(Path("r.html"), "html"),)


def test_defaults_stand_where_nothing_is_said(tmp_path: Path) -> None:
    _write(tmp_path, "[http]\ntimeout = 3")
    settings = resolve_settings(load_config(None, cwd=tmp_path), {})
    assert settings.report_outputs == DEFAULT_REPORT_OUTPUTS
    assert settings.schedule == Schedule()
    assert settings.confirmation == ConfirmationPolicy()


def test_command_line_values_are_validated_too() -> None:
    with pytest.raises(InputError, match=r"the command line: 'exclude\.patterns' has an invalid"):
        resolve_settings(ConfigFile(), {"exclude.patterns": ["("]})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[schedule]\nok_dayz = 3",
            "citecheck.toml: unknown key 'schedule.ok_dayz' (did you mean 'ok_days'?)",
        ),
        (
            "concurrency = 8",
            "citecheck.toml: unknown key 'concurrency' (did you mean 'http.concurrency'?)",
        ),
        (
            "[sheduel]\nok_days = 3",
            "citecheck.toml: unknown key 'sheduel' (did you mean 'schedule'?)",
        ),
        (
            "[http]\nconcurency = 3",
            "citecheck.toml: unknown key 'http.concurency' (did you mean 'concurrency'?)",
        ),
        (
            "[policy]\nzzz = 1",
            "citecheck.toml: unknown key 'policy.zzz' "
            "(the keys in [policy] are: confirm_days, confirm_failures)",
        ),
        ("http = 3", "citecheck.toml: 'http' must be a table ([http]), not 3"),
    ],
)
def test_unknown_keys_are_named_with_a_suggestion(tmp_path: Path, text: str, message: str) -> None:
    assert _error(tmp_path, text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[http]\ntimeout = "fast"',
            "citecheck.toml: 'http.timeout' must be a positive number, not 'fast'",
        ),
        ("[http]\ntimeout = 0", "'http.timeout' must be a positive number, not 0"),
        ("[http]\ntimeout = inf", "'http.timeout' must be a positive number, not inf"),
        (
            "[http]\nconcurrency = 2.5",
            "'http.concurrency' must be a whole number of at least 1, not 2.5",
        ),
        ("[http]\nper_host = 0", "'http.per_host' must be a whole number of at least 1, not 0"),
        ("[http]\nconcurrency = true", "'http.concurrency' must be a whole number of at least 1"),
        ("[http]\nsoft404_probe = 1", "'http.soft404_probe' must be true or false, not 1"),
        ('[http]\nuser_agent = ""', "'http.user_agent' must be a non-empty string"),
        ('[http]\nuser_agent = "a\\nb"', "without control characters"),
        (
            "[http]\naccepted_status = [200, 1000]",
            "'http.accepted_status' must hold HTTP status codes from 100 to 999, not 1000",
        ),
        ("[http]\naccepted_status = 999", "must be a list of HTTP status codes, not 999"),
        (
            '[http]\nresolve = ["intranet.example"]',
            "'http.resolve' must hold 'HOST:ADDRESS' with an IP address, not 'intranet.example'",
        ),
        (
            '[http]\nresolve = ["a.example:not-an-ip"]',
            "must hold 'HOST:ADDRESS' with an IP address",
        ),
        ("[schedule]\nfailing_days = -1", "'schedule.failing_days' must be a positive number"),
        ("[policy]\nconfirm_days = -1", "'policy.confirm_days' must be a number of at least 0"),
        (
            '[exclude]\npatterns = ["(unclosed"]',
            "citecheck.toml: 'exclude.patterns' has an invalid regular expression "
            "'(unclosed': missing ), unterminated subpattern at position 0",
        ),
        ('[exclude]\npatterns = "x"', "'exclude.patterns' must be a list of regular expressions"),
        (
            '[exclude]\ndomains = ["https://example.com/"]',
            "'exclude.domains' must hold domain names like 'example.org', not "
            "'https://example.com/'",
        ),
        ('[wayback]\nurl = "web.archive.org"', "'wayback.url' must be an http:// or https:// URL"),
        (
            '[wayback]\naccess_key_env = "my key"',
            "'wayback.access_key_env' must be an environment variable name, not 'my key'",
        ),
        ("[wayback]\nmax_saves = -1", "'wayback.max_saves' must be a whole number of at least 0"),
        (
            '[reports]\noutputs = ["report.txt"]',
            "'reports.outputs' must name report files ending in .md, .markdown, .html, .htm, "
            ".json, .csv, not 'report.txt'",
        ),
        (
            '[reports]\noutputs = ["r.md", "./r.md"]',
            "'reports.outputs' names the same file twice",
        ),
        ("sources = 3", "'sources' must be a non-empty string without control characters, not 3"),
    ],
)
def test_bad_values_name_the_key_the_expected_type_and_the_value(
    tmp_path: Path, text: str, message: str
) -> None:
    assert message in _error(tmp_path, text)


def test_a_syntax_error_gives_the_line_and_column(tmp_path: Path) -> None:
    message = _error(tmp_path, '[http]\ntimeout = 3\nuser_agent = "unclosed\n')
    assert message.startswith("citecheck.toml: not valid TOML: ")
    assert "line 3" in message and "column" in message


def test_a_duplicate_key_is_a_syntax_error(tmp_path: Path) -> None:
    message = _error(tmp_path, "[http]\ntimeout = 3\ntimeout = 4\n")
    assert "not valid TOML" in message and "line 3" in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / DEFAULT_CONFIG_NAME).write_bytes(b'[http]\nuser_agent = "caf\xe9"\n')
    with pytest.raises(InputError, match="citecheck.toml: not valid TOML"):
        load_config(None, cwd=tmp_path)


def test_a_folder_named_like_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / DEFAULT_CONFIG_NAME).mkdir()
    with pytest.raises(InputError, match="citecheck.toml: cannot read the file"):
        load_config(None, cwd=tmp_path)


def test_intervals_that_settings_refuse_become_input_errors(tmp_path: Path) -> None:
    _write(tmp_path, "[schedule]\nok_days = 1e-12")
    file = load_config(None, cwd=tmp_path)
    with pytest.raises(InputError, match="the ok interval must be positive"):
        resolve_settings(file, {})


def test_report_output_tells_the_format_by_the_extension() -> None:
    assert report_output("site/report.htm") == ReportOutput(Path("site/report.htm"), "html")
    assert report_output(Path("REPORT.MD")).format == "md"
    with pytest.raises(InputError, match=r"^report: must name report files ending in"):
        report_output("report")


def test_every_extension_names_a_report_format() -> None:
    assert set(REPORT_FORMATS_BY_SUFFIX.values()) == set(FORMATS)
