"""Every setting is checked with its allowed range, from stack config or the environment, in one sentence."""

from __future__ import annotations

import pytest

from cfmtls_provider.cloudflare import ApiToken, GlobalApiKey
from cfmtls_provider.settings import NUMBERS, ProviderSettings, SettingsError

pytestmark = pytest.mark.usefixtures("no_ambient_settings")


def test_defaults() -> None:
    settings = ProviderSettings.resolve({})
    assert (settings.timeout_seconds, settings.max_retries) == (30.0, 4)
    assert (settings.delete_wait_seconds, settings.rate_limit_wait_seconds) == (60.0, 360.0)
    assert settings.server_workers == 16
    assert settings.credentials is None


@pytest.mark.parametrize("field", sorted(NUMBERS))
@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "-1", "1e9", "ten", "0x10"])
def test_out_of_range_numbers_are_refused_in_one_sentence(field: str, raw: str) -> None:
    setting = NUMBERS[field]
    with pytest.raises(SettingsError) as info:
        ProviderSettings.resolve({f"cfmtls:{setting.key}": raw})
    message = str(info.value)
    assert message.startswith(f"cfmtls:{setting.key} / {setting.env} must be ")
    assert f"from {setting.minimum:g} to {setting.maximum:g}" in message
    assert message.endswith(f"got {raw!r}.") and "\n" not in message


@pytest.mark.parametrize("field", sorted(NUMBERS))
def test_the_bounds_themselves_are_allowed_and_the_environment_is_read(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    setting = NUMBERS[field]
    for bound in (setting.minimum, setting.maximum):
        assert getattr(ProviderSettings.resolve({f"cfmtls:{setting.key}": str(bound)}), field) == bound
    monkeypatch.setenv(setting.env, f"{setting.maximum:g}")
    assert getattr(ProviderSettings.resolve({}), field) == setting.maximum


def test_stack_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFMTLS_DELETE_WAIT_SECONDS", "nan")
    assert ProviderSettings.resolve({"cfmtls:deleteWaitSeconds": "5"}).delete_wait_seconds == 5.0


def test_nan_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """It made a destroy poll 6,719 times in 5 s and never stop: the deadline `now + nan` is never reached."""
    monkeypatch.setenv("CFMTLS_DELETE_WAIT_SECONDS", "nan")
    with pytest.raises(SettingsError, match="CFMTLS_DELETE_WAIT_SECONDS must be a number of seconds"):
        ProviderSettings.resolve({})


def test_retries_must_be_whole() -> None:
    with pytest.raises(SettingsError, match="must be a whole number from 0 to 20"):
        ProviderSettings.resolve({"cfmtls:maxRetries": "2.5"})
    assert ProviderSettings.resolve({"cfmtls:maxRetries": "3.0"}).max_retries == 3


@pytest.mark.parametrize(
    "url", ["ftp://api.example.com", "api.cloudflare.com/client/v4", "http://", "https://a b", "https://x/?q=1"]
)
def test_a_base_url_must_be_an_http_url(url: str) -> None:
    with pytest.raises(SettingsError, match="must be an http\\(s\\) URL"):
        ProviderSettings.resolve({"cfmtls:baseUrl": url})


def test_a_base_url_loses_its_trailing_slash() -> None:
    assert ProviderSettings.resolve({"cfmtls:baseUrl": "http://127.0.0.1:8787/client/v4/"}).base_url == (
        "http://127.0.0.1:8787/client/v4"
    )


@pytest.mark.parametrize("account", ["acc1", "0123456789ABCDEF0123456789ABCDEF", "0" * 33])
def test_an_account_id_must_look_like_one(account: str) -> None:
    with pytest.raises(SettingsError, match="is not a Cloudflare account id"):
        ProviderSettings.resolve({"cfmtls:accountId": account})


@pytest.mark.parametrize("token", ["two words", "line\nbreak", "tab\there", "caf\u00e9"])
def test_a_token_with_characters_no_header_can_carry_is_refused_without_quoting_it(token: str) -> None:
    with pytest.raises(SettingsError) as info:
        ProviderSettings.resolve({"cfmtls:apiToken": token})
    assert token not in str(info.value)
    assert "copy it again" in str(info.value)


def test_credentials() -> None:
    assert isinstance(ProviderSettings.resolve({"cfmtls:apiToken": "t0k-en_"}).credentials, ApiToken)
    legacy = ProviderSettings.resolve({"cfmtls:apiEmail": "ops@example.com", "cfmtls:apiKey": "k"}).credentials
    assert isinstance(legacy, GlobalApiKey)
    with pytest.raises(SettingsError, match="must be an email address"):
        ProviderSettings.resolve({"cfmtls:apiEmail": "ops", "cfmtls:apiKey": "k"})
