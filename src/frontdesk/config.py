"""Settings, read once from ``FRONTDESK_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return int(raw)


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return float(raw)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``postgres://``, ``sqlite:///``) and pick our drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 3000
    log_level: str = "info"
    # Server processes `frontdesk serve` runs on one port (PostgreSQL and Redis only when above 1).
    workers: int = 1
    # Operations (docs in frontdesk.observability): "text" (uvicorn's lines) or "json" (one object a line,
    # with the request id); the bearer token /metrics requires (unset: loopback clients only); how long a
    # stop waits for in-flight requests and webhook attempts.
    log_format: str = "text"
    metrics_token: str | None = None
    shutdown_grace_seconds: float = 30.0
    # Chatwoot's CONVERSATION_MESSAGE_PER_MINUTE_LIMIT.
    message_flood_limit: int = 200
    conversations_per_page: int = 25
    redis_url: str | None = None
    # `serve` and `worker` bring a schema that is behind up to date at start; off, they refuse to start on it.
    auto_migrate: bool = True
    # Webhook delivery (see docs/webhooks.md).
    # Run a delivery worker inside `frontdesk serve`; `frontdesk worker` runs more of them elsewhere.
    embedded_worker: bool = True
    webhook_timeout: float = 5.0
    # How long a delivery keeps being retried before it is marked dead.
    webhook_retry_hours: float = 24.0
    # Exponential backoff with full jitter: attempt n waits uniform(0, min(max, base * 2**(n-1))) seconds.
    webhook_retry_base_seconds: float = 2.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_allow_private_network: bool = False
    # After a secret reset the previous secret keeps signing (a second signature) for this long.
    webhook_secret_grace_hours: float = 24.0
    # How often a worker looks for due deliveries when nothing woke it.
    webhook_poll_interval: float = 0.2
    # A claimed delivery whose worker vanished becomes claimable again after this long.
    webhook_lease_seconds: float = 60.0
    # Deliveries in flight at once, per worker.
    webhook_concurrency: int = 128
    # A worker woken by a commit or a finished attempt waits this long to gather more, so one
    # transaction records and claims several deliveries.
    webhook_batch_window: float = 0.01
    webhook_max_response_bytes: int = 65536
    # Durable jobs (docs/jobs.md), run by the same embedded/standalone workers as webhook deliveries.
    # A claimed job whose runner vanished becomes claimable again after this long (a running handler's
    # lease is renewed, so this bounds recovery, not a handler's duration).
    jobs_lease_seconds: float = 300.0
    # Handlers running at once, per runner.
    jobs_concurrency: int = 4
    # How often a runner looks for due jobs when no commit or NOTIFY woke it.
    jobs_poll_interval: float = 1.0
    # Exponential backoff with full jitter, as webhook deliveries: uniform(0, min(max, base * 2**(n-1))).
    jobs_retry_base_seconds: float = 2.0
    jobs_retry_max_seconds: float = 3600.0
    # The built-in jobs.prune removes succeeded jobs after this long, dead ones after jobs_keep_dead_days.
    jobs_keep_succeeded_hours: float = 168.0
    jobs_keep_dead_days: float = 30.0
    # Idempotent writes (docs in frontdesk.idempotency): how long a key and its answer are kept,
    # how long a retry waits for the first request still running, and after how long a request whose
    # process vanished gives its key up.
    idempotency_ttl_hours: float = 24.0
    idempotency_wait_seconds: float = 30.0
    idempotency_lease_seconds: float = 120.0
    # Rate limits (docs in frontdesk.ratelimit); a limit of 0 disables that rule.
    # Every request per client IP and per access token, as Chatwoot's rack-attack ``req/ip`` (3000/min).
    rate_limit_per_ip: int = 3000
    rate_limit_per_token: int = 3000
    rate_limit_period_seconds: float = 60.0
    # Client API, as Chatwoot's widget limits: conversations created per IP, contact updates per IP.
    rate_limit_public_conversations: int = 6
    rate_limit_public_conversations_period_seconds: float = 12 * 3600.0
    rate_limit_public_contact_updates: int = 60
    rate_limit_public_contact_updates_period_seconds: float = 3600.0
    # Website widget, as Chatwoot's rack-attack widget throttles: conversations created per IP
    # (POST /api/v1/widget/conversations), and widget pages opened without a ``cw_conversation`` token
    # per IP (each mints an anonymous contact).
    rate_limit_widget_conversations: int = 6
    rate_limit_widget_conversations_period_seconds: float = 12 * 3600.0
    rate_limit_widget_page: int = 5
    rate_limit_widget_page_period_seconds: float = 3600.0
    # Comma-separated client IPs never limited. Empty by default: unlike Chatwoot, loopback is not exempt,
    # since behind a reverse proxy on the same host every client would look like 127.0.0.1.
    rate_limit_safelist: str = ""
    # Proxies whose X-Forwarded-For/-Proto are believed: "" none, else comma-separated IPs or "*".
    trust_proxy: str = ""
    # Key prefix of the counters in Redis (when redis_url is set).
    rate_limit_redis_prefix: str = "frontdesk:ratelimit"
    # Dashboard sign-in (docs in frontdesk.dashboard): how long a session lasts, and Chatwoot's
    # ``login/ip`` limit on POST /auth/sign_in (5 per 5 minutes per client IP; 0 disables it).
    session_ttl_hours: float = 14 * 24.0
    sign_in_rate_limit: int = 5
    sign_in_rate_limit_period_seconds: float = 300.0
    # Realtime feed at /cable (docs in frontdesk.realtime): events kept per account for resume (the
    # last N, no older than the window), frames a socket may fall behind before it is dropped, ping period.
    realtime_buffer_size: int = 1000
    realtime_window_seconds: float = 600.0
    realtime_send_queue: int = 2000
    realtime_ping_interval: float = 3.0
    # Key prefix of the realtime streams, channel and presence sets in Redis (when redis_url is set).
    realtime_redis_prefix: str = "frontdesk:realtime"
    # Chatwoot's PRESENCE_DURATION / CONTACT_PRESENCE_DURATION (seconds).
    presence_duration: float = 20.0
    contact_presence_duration: float = 90.0
    # The address clients reach this server at, for the absolute URLs in payloads (``data_url``,
    # ``avatar_url``); unset: ``http://<host>:<port>``.
    public_url: str | None = None
    # Attachments and avatars (docs/attachments.md): "disk" (under data_dir/storage) or "s3".
    storage: str = "disk"
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_endpoint_url: str | None = None
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # Path-style URLs (``endpoint/bucket/key``), which MinIO, moto and most self-hosted stores need.
    s3_force_path_style: bool = False
    # Chatwoot's MAXIMUM_FILE_UPLOAD_SIZE (MB) and Message::NUMBER_OF_PERMITTED_ATTACHMENTS.
    max_upload_mb: int = 40
    max_attachments: int = 15
    # Chatwoot's avatar limit (Avatarable: 15 MB), for uploads and avatar_url downloads alike; not an
    # environment setting (tests lower it).
    max_avatar_bytes: int = 15 * 1024 * 1024
    # How long an avatar_url download may take, in seconds.
    avatar_fetch_timeout: float = 15.0
    # How long a signed file URL (data_url, thumb_url, avatar_url) stays valid.
    file_url_ttl_seconds: int = 24 * 3600
    # Stored bytes that no row claims (a process died mid-upload, a direct upload never used) are
    # removed once they are older than this.
    orphan_grace_hours: float = 6.0
    # Website widget (docs in frontdesk.widget): how long a visitor's widget token (``cw_conversation``)
    # is valid, in days (Chatwoot's WIDGET_TOKEN_EXPIRY), and where the built widget lives (unset: the
    # package's ``widget/static``).
    widget_token_expiry_days: int = 180
    widget_static_dir: Path | None = None

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def max_upload_bytes(self) -> int:
        # Chatwoot: a non-positive setting means the default 40 MB.
        return (self.max_upload_mb if self.max_upload_mb > 0 else 40) * 1024 * 1024

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _load_or_create_secret(data_dir: Path) -> str:
    """The embedded default keeps a generated secret beside its database, so tokens survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("FRONTDESK_DATA_DIR", "frontdesk-data")).expanduser().resolve()
    raw_url = os.environ.get("FRONTDESK_DATABASE_URL", "").strip()
    database_url = normalize_database_url(raw_url) if raw_url else f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"
    secret_key = os.environ.get("FRONTDESK_SECRET_KEY", "").strip() or _load_or_create_secret(data_dir)
    static_dir = os.environ.get("FRONTDESK_WIDGET_STATIC_DIR", "").strip()
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret_key,
        host=os.environ.get("FRONTDESK_HOST", "127.0.0.1"),
        port=env_int("FRONTDESK_PORT", 3000),
        log_level=os.environ.get("FRONTDESK_LOG_LEVEL", "info"),
        workers=env_int("FRONTDESK_WORKERS", 1),
        log_format=os.environ.get("FRONTDESK_LOG_FORMAT", "text").strip().lower() or "text",
        metrics_token=os.environ.get("FRONTDESK_METRICS_TOKEN", "").strip() or None,
        shutdown_grace_seconds=env_float("FRONTDESK_SHUTDOWN_GRACE_SECONDS", 30.0),
        message_flood_limit=env_int("FRONTDESK_MESSAGE_FLOOD_LIMIT", 200),
        conversations_per_page=env_int("FRONTDESK_CONVERSATIONS_PER_PAGE", 25),
        redis_url=os.environ.get("FRONTDESK_REDIS_URL") or None,
        auto_migrate=env_bool("FRONTDESK_AUTO_MIGRATE", True),
        embedded_worker=env_bool("FRONTDESK_EMBEDDED_WORKER", True),
        webhook_timeout=env_float("FRONTDESK_WEBHOOK_TIMEOUT", 5.0),
        webhook_retry_hours=env_float("FRONTDESK_WEBHOOK_RETRY_HOURS", 24.0),
        webhook_retry_base_seconds=env_float("FRONTDESK_WEBHOOK_RETRY_BASE_SECONDS", 2.0),
        webhook_retry_max_seconds=env_float("FRONTDESK_WEBHOOK_RETRY_MAX_SECONDS", 3600.0),
        webhook_allow_private_network=env_bool("FRONTDESK_WEBHOOK_ALLOW_PRIVATE_NETWORK", False),
        webhook_secret_grace_hours=env_float("FRONTDESK_WEBHOOK_SECRET_GRACE_HOURS", 24.0),
        webhook_poll_interval=env_float("FRONTDESK_WEBHOOK_POLL_INTERVAL", 0.2),
        webhook_lease_seconds=env_float("FRONTDESK_WEBHOOK_LEASE_SECONDS", 60.0),
        webhook_concurrency=env_int("FRONTDESK_WEBHOOK_CONCURRENCY", 128),
        webhook_batch_window=env_float("FRONTDESK_WEBHOOK_BATCH_WINDOW", 0.01),
        webhook_max_response_bytes=env_int("FRONTDESK_WEBHOOK_MAX_RESPONSE_BYTES", 65536),
        jobs_lease_seconds=env_float("FRONTDESK_JOBS_LEASE_SECONDS", 300.0),
        jobs_concurrency=env_int("FRONTDESK_JOBS_CONCURRENCY", 4),
        jobs_poll_interval=env_float("FRONTDESK_JOBS_POLL_INTERVAL", 1.0),
        jobs_retry_base_seconds=env_float("FRONTDESK_JOBS_RETRY_BASE_SECONDS", 2.0),
        jobs_retry_max_seconds=env_float("FRONTDESK_JOBS_RETRY_MAX_SECONDS", 3600.0),
        jobs_keep_succeeded_hours=env_float("FRONTDESK_JOBS_KEEP_SUCCEEDED_HOURS", 168.0),
        jobs_keep_dead_days=env_float("FRONTDESK_JOBS_KEEP_DEAD_DAYS", 30.0),
        idempotency_ttl_hours=env_float("FRONTDESK_IDEMPOTENCY_TTL_HOURS", 24.0),
        idempotency_wait_seconds=env_float("FRONTDESK_IDEMPOTENCY_WAIT_SECONDS", 30.0),
        idempotency_lease_seconds=env_float("FRONTDESK_IDEMPOTENCY_LEASE_SECONDS", 120.0),
        rate_limit_per_ip=env_int("FRONTDESK_RATE_LIMIT_PER_IP", 3000),
        rate_limit_per_token=env_int("FRONTDESK_RATE_LIMIT_PER_TOKEN", 3000),
        rate_limit_period_seconds=env_float("FRONTDESK_RATE_LIMIT_PERIOD_SECONDS", 60.0),
        rate_limit_public_conversations=env_int("FRONTDESK_RATE_LIMIT_PUBLIC_CONVERSATIONS", 6),
        rate_limit_public_conversations_period_seconds=env_float(
            "FRONTDESK_RATE_LIMIT_PUBLIC_CONVERSATIONS_PERIOD_SECONDS", 12 * 3600.0
        ),
        rate_limit_public_contact_updates=env_int("FRONTDESK_RATE_LIMIT_PUBLIC_CONTACT_UPDATES", 60),
        rate_limit_public_contact_updates_period_seconds=env_float(
            "FRONTDESK_RATE_LIMIT_PUBLIC_CONTACT_UPDATES_PERIOD_SECONDS", 3600.0
        ),
        rate_limit_widget_conversations=env_int("FRONTDESK_RATE_LIMIT_WIDGET_CONVERSATIONS", 6),
        rate_limit_widget_conversations_period_seconds=env_float(
            "FRONTDESK_RATE_LIMIT_WIDGET_CONVERSATIONS_PERIOD_SECONDS", 12 * 3600.0
        ),
        rate_limit_widget_page=env_int("FRONTDESK_RATE_LIMIT_WIDGET_PAGE", 5),
        rate_limit_widget_page_period_seconds=env_float("FRONTDESK_RATE_LIMIT_WIDGET_PAGE_PERIOD_SECONDS", 3600.0),
        rate_limit_safelist=os.environ.get("FRONTDESK_RATE_LIMIT_SAFELIST", ""),
        trust_proxy=os.environ.get("FRONTDESK_TRUST_PROXY", "").strip(),
        rate_limit_redis_prefix=os.environ.get("FRONTDESK_RATE_LIMIT_REDIS_PREFIX", "frontdesk:ratelimit"),
        session_ttl_hours=env_float("FRONTDESK_SESSION_TTL_HOURS", 14 * 24.0),
        sign_in_rate_limit=env_int("FRONTDESK_SIGN_IN_RATE_LIMIT", 5),
        sign_in_rate_limit_period_seconds=env_float("FRONTDESK_SIGN_IN_RATE_LIMIT_PERIOD_SECONDS", 300.0),
        realtime_buffer_size=env_int("FRONTDESK_REALTIME_BUFFER_SIZE", 1000),
        realtime_window_seconds=env_float("FRONTDESK_REALTIME_WINDOW_SECONDS", 600.0),
        realtime_send_queue=env_int("FRONTDESK_REALTIME_SEND_QUEUE", 2000),
        realtime_ping_interval=env_float("FRONTDESK_REALTIME_PING_INTERVAL", 3.0),
        realtime_redis_prefix=os.environ.get("FRONTDESK_REALTIME_REDIS_PREFIX", "frontdesk:realtime"),
        presence_duration=env_float("FRONTDESK_PRESENCE_DURATION", 20.0),
        contact_presence_duration=env_float("FRONTDESK_CONTACT_PRESENCE_DURATION", 90.0),
        public_url=os.environ.get("FRONTDESK_PUBLIC_URL", "").strip() or None,
        storage=os.environ.get("FRONTDESK_STORAGE", "disk").strip().lower() or "disk",
        s3_bucket=os.environ.get("FRONTDESK_S3_BUCKET", "").strip(),
        s3_region=os.environ.get("FRONTDESK_S3_REGION", "us-east-1").strip() or "us-east-1",
        s3_endpoint_url=os.environ.get("FRONTDESK_S3_ENDPOINT_URL", "").strip() or None,
        s3_access_key_id=os.environ.get("FRONTDESK_S3_ACCESS_KEY_ID", "").strip(),
        s3_secret_access_key=os.environ.get("FRONTDESK_S3_SECRET_ACCESS_KEY", "").strip(),
        s3_force_path_style=env_bool("FRONTDESK_S3_FORCE_PATH_STYLE", False),
        max_upload_mb=env_int("FRONTDESK_MAX_UPLOAD_MB", 40),
        max_attachments=env_int("FRONTDESK_MAX_ATTACHMENTS", 15),
        file_url_ttl_seconds=env_int("FRONTDESK_FILE_URL_TTL_SECONDS", 24 * 3600),
        orphan_grace_hours=env_float("FRONTDESK_ORPHAN_GRACE_HOURS", 6.0),
        widget_token_expiry_days=env_int("FRONTDESK_WIDGET_TOKEN_EXPIRY_DAYS", 180),
        widget_static_dir=Path(static_dir).expanduser().resolve() if static_dir else None,
    )
