"""Configuration: YAML defaults, then ``.env`` and the environment, then flags -> one frozen Config."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

from pipeline.errors import PipelineError

DEFAULTS_FILE = Path(__file__).with_name("config.yaml")
REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"

# Environment variable -> Config field. The first four are the contract's; the rest tune the client.
ENVIRONMENT = {
    "TRAKT_API_KEY": "api_key",
    "TRAKT_API_URL": "api_url",
    "ANITRAKT_TV_URL": "tv_url",
    "ANITRAKT_MOVIES_URL": "movies_url",
    "TRAKT_REFRESH_DAYS": "refresh_days",
    "TRAKT_RATE_LIMIT_CALLS": "rate_limit_calls",
    "TRAKT_RATE_LIMIT_PERIOD": "rate_limit_period",
    "TRAKT_MAX_RETRIES": "max_retries",
    "TRAKT_TIMEOUT": "timeout",
    "TRAKT_CONCURRENCY": "concurrency",
    "ANITRAKT_SHRINK_THRESHOLD": "shrink_threshold",
    # discovery (issue 9)
    "ANIME_LISTS_URL": "anime_lists_url",
    "ANIME_IDS_URL": "anime_ids_url",
    "SHINKRO_TVDB_URL": "shinkro_tvdb_url",
    "FETCH_MAX_RETRIES": "download_max_retries",
    "FETCH_RETRY_AFTER_MAX": "download_retry_after_max",
    "ANITRAKT_MASS_CHANGE_THRESHOLD": "mass_change_threshold",
    # Letterboxd ids (issue 17)
    "WIKIDATA_SPARQL_URL": "wikidata_sparql_url",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    api_key: str | None
    api_url: str
    tv_url: str
    movies_url: str
    cache_dir: Path
    upstream_dir: Path
    trakt_cache: Path
    run_summary: Path
    run_report: Path
    output_dir: Path
    overrides_dir: Path
    schemas_dir: Path = SCHEMAS_DIR
    refresh_days: float
    timeout: float
    max_retries: int
    backoff: float
    backoff_max: float
    retry_after_max: float
    rate_limit_calls: int
    rate_limit_period: float
    circuit_breaker_failures: int
    concurrency: int
    shrink_threshold: float
    download_timeout: float
    # discovery (issue 9)
    anime_lists_url: str
    anime_ids_url: str
    shinkro_tvdb_url: str
    sources_dir: Path
    candidates: Path
    download_max_retries: int
    download_backoff: float
    download_backoff_max: float
    download_retry_after_max: float
    mass_change_threshold: float
    mass_change_min_entries: int
    # Letterboxd ids (issue 17)
    wikidata_sparql_url: str
    wikidata_cache: Path
    wikidata_batch: int
    wikidata_refresh_days: float
    # one budget a night per outside source, retries included (issue 23)
    download_budget: float = 180.0
    wikidata_budget: float = 20.0

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def _defaults(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PipelineError(f"{path}: cannot read the configuration ({exc})") from None
    paths, trakt, upstream = raw["paths"], raw["trakt"], raw["upstream"]
    downloads, guards = raw["downloads"], raw["guards"]
    return {
        "api_key": None,
        "api_url": raw["trakt_api_url"],
        "tv_url": raw["anitrakt_tv_url"],
        "movies_url": raw["anitrakt_movies_url"],
        **{name: Path(value) for name, value in paths.items()},
        "refresh_days": trakt["refresh_days"],
        "timeout": trakt["timeout_seconds"],
        "max_retries": trakt["max_retries"],
        "backoff": trakt["backoff_seconds"],
        "backoff_max": trakt["backoff_max_seconds"],
        "retry_after_max": trakt["retry_after_max_seconds"],
        "rate_limit_calls": trakt["rate_limit_calls"],
        "rate_limit_period": trakt["rate_limit_period_seconds"],
        "circuit_breaker_failures": trakt["circuit_breaker_failures"],
        "concurrency": trakt["concurrency"],
        "shrink_threshold": upstream["shrink_threshold"],
        "download_timeout": upstream["download_timeout_seconds"],
        "download_max_retries": downloads["max_retries"],
        "download_backoff": downloads["backoff_seconds"],
        "download_backoff_max": downloads["backoff_max_seconds"],
        "download_retry_after_max": downloads["retry_after_max_seconds"],
        "download_budget": downloads["budget_seconds"],
        "mass_change_threshold": guards["mass_change_threshold"],
        "mass_change_min_entries": guards["mass_change_min_entries"],
        **_discovery(raw["discovery"]),
        "wikidata_sparql_url": raw["letterboxd"]["wikidata_sparql_url"],
        "wikidata_cache": Path(raw["letterboxd"]["cache"]),
        "wikidata_batch": raw["letterboxd"]["batch"],
        "wikidata_refresh_days": raw["letterboxd"]["refresh_days"],
        "wikidata_budget": raw["letterboxd"]["budget_seconds"],
    }


def _discovery(block: dict[str, Any]) -> dict[str, Any]:
    return {
        "anime_lists_url": block["anime_lists_url"],
        "anime_ids_url": block["anime_ids_url"],
        "shinkro_tvdb_url": block["shinkro_tvdb_url"],
        "sources_dir": Path(block["sources_dir"]),
        "candidates": Path(block["candidates"]),
    }


_FLOAT_FIELDS = {field.name for field in dataclasses.fields(Config) if field.type == "float"}


def _coerce(name: str, value: str, like: object) -> object:
    try:
        if isinstance(like, bool):
            return value.strip().lower() in ("1", "true", "yes")
        if isinstance(like, int):
            return int(value)
        if isinstance(like, float):
            return float(value)
    except ValueError:
        raise PipelineError(f"{name}={value!r}: expected a number") from None
    return value


def load_config(
    flags: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = Path(".env"),
    defaults_file: Path = DEFAULTS_FILE,
) -> Config:
    """Defaults from ``config.yaml``, overridden by ``.env``, then the environment, then ``flags``."""
    values = _defaults(defaults_file)
    env: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    env.update(os.environ if environ is None else environ)
    for variable, field in ENVIRONMENT.items():
        if env.get(variable):
            like = float(values[field]) if field in _FLOAT_FIELDS else values[field]  # YAML's 20 is an int
            values[field] = _coerce(variable, env[variable], like)
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    values["api_url"] = str(values["api_url"]).rstrip("/")
    if isinstance(values["api_key"], str):  # a key pasted with its newline would be an invalid header
        values["api_key"] = values["api_key"].strip() or None
    return Config(**values)
