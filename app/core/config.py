"""Settings read from the environment (and an optional `.env` file)."""
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "loa-development-secret-change-me"


class InsecureSettings(RuntimeError):
    """Raised at start-up when production runs with a development secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default="sqlite:///./loa.db", validation_alias="DATABASE_URL")
    secret_key: str = Field(default=DEFAULT_SECRET, validation_alias="LOA_SECRET_KEY")
    env: str = Field(default="development", validation_alias="LOA_ENV")
    media_dir: Path = Field(default=Path("media"), validation_alias="LOA_MEDIA_DIR")
    session_idle_hours: int = Field(default=24 * 7, validation_alias="LOA_SESSION_IDLE_HOURS")
    token_days: int = Field(default=30, validation_alias="LOA_TOKEN_DAYS")
    demo_password: str = Field(default="loa-demo-2025", validation_alias="LOA_DEMO_PASSWORD")
    # PostgreSQL connections per process: at most pool + overflow are open at once. Budget
    # processes × (pool + overflow) below the server's max_connections (README, "Connections").
    db_pool_size: int = Field(default=5, ge=1, le=100, validation_alias="LOA_DB_POOL_SIZE")
    db_max_overflow: int = Field(default=5, ge=0, le=100, validation_alias="LOA_DB_MAX_OVERFLOW")

    @property
    def is_development(self) -> bool:
        return self.env in ("development", "test")

    def check_secure(self) -> None:
        if not self.is_development and (not self.secret_key or self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 16):
            raise InsecureSettings(
                "LOA_SECRET_KEY must be set to a random value of at least 16 characters when LOA_ENV is not development"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
