"""One settings module, read from environment variables (django-environ).

Defaults give a self-contained demo: SQLite and a filesystem Celery broker. Set
DATABASE_URL / REDIS_URL for PostgreSQL and Redis. DJANGO_ENV=production turns
on the secure defaults that `manage.py check --deploy` expects.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

# Debug pages show settings and URL patterns: only when DJANGO_DEBUG says so (`make dev` does).
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    # Debug pages print settings and patient data in tracebacks: never on a production site.
    raise environ.ImproperlyConfigured("DJANGO_DEBUG cannot be on with DJANGO_ENV=production")
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    default="" if PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop",
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_fsm",
    "phonenumber_field",
    "simple_history",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",  # only for the migration that hashes its old tokens (security 0002)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "procedures",
    "scheduling",
    "notifications",
    "radiology",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "radiology.presentation.context_processors.clinic",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections by default (checked before reuse: CONN_HEALTH_CHECKS below): a new
# PostgreSQL connection per request cost a trivial view 2.15x and a booking 1.36x (issue 24).
# DJANGO_CONN_MAX_AGE=0 behind PgBouncer in transaction mode (docs/deploy.md).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share one file: wait for locks rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DJANGO_DB_PREPARED_STATEMENTS", default=True
):
    # Server-side binding, and a statement run a fifth time on a connection is prepared: the
    # same few dozen statements make every booking and page, and PostgreSQL then neither parses
    # nor plans them again. Bookings over HTTP 91-95/s -> 109-114/s (bench_http_booking, issue
    # 24). Off (DJANGO_DB_PREPARED_STATEMENTS=false) behind a PgBouncer in transaction mode older
    # than 1.21 or without max_prepared_statements (docs/deploy.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "radiology:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# The clinic's zone. The database stores UTC whatever this is (USE_TZ); Django uses it only
# at the edges: pages, forms, messages. Services take and compare aware datetimes.
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/New_York")
TIME_ZONE = CLINIC_TIME_ZONE
CLINIC_NAME = env.str("CLINIC_NAME", default="Breast Imaging Department")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="+1 555 0100")
CLINIC_ADDRESS = env.str("CLINIC_ADDRESS", default="Main Hospital, Radiology, Level 2")
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed files from `collectstatic` (`make run` collects them) in production and
# wherever DJANGO_STATIC_MANIFEST is on; tests and `make dev` serve straight from static/.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery. Without REDIS_URL an embedded filesystem broker keeps the demo self-contained.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 3600}
    if REDIS_URL
    else {
        "data_folder_in": str(BASE_DIR / "var" / "broker"),
        "data_folder_out": str(BASE_DIR / "var" / "broker"),
        "processed_folder": str(BASE_DIR / "var" / "broker-processed"),
        "store_processed": False,
    }
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this
# is set (a new PostgreSQL connection per task cost a send task of 10 messages more than their
# sends, issue 24); with it, the fixup closes them only every this many tasks, and between tasks
# Django's own rule decides, as after a request (config/celery.py): DJANGO_CONN_MAX_AGE and the
# health check.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# E-mail and SMS delivery for reminders.
# Django 6.1 mailers. EMAIL_MODE: "file" (demo default: .eml files under EMAIL_FILE_PATH),
# "smtp" (production default), "console" or "locmem" (tests).
EMAIL_MODE = env.str("EMAIL_MODE", default="smtp" if PRODUCTION else "file")
_MAILER_OPTIONS = {
    "smtp": {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
        "timeout": env.int("EMAIL_TIMEOUT", default=15),
    },
    "file": {"file_path": env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "outbox" / "email"))},
    "console": {},
    "locmem": {},
}
MAILERS = {
    "default": {
        "BACKEND": f"django.core.mail.backends.{'filebased' if EMAIL_MODE == 'file' else EMAIL_MODE}.EmailBackend",
        "OPTIONS": _MAILER_OPTIONS[EMAIL_MODE],
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="imaging@example.org")
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.channels.sms.FileSMSBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "outbox" / "sms"))
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")
PATIENT_LINK_MAX_AGE_DAYS = env.int("PATIENT_LINK_MAX_AGE_DAYS", default=14)
# Check-in: from this age on pregnancy and breastfeeding are not asked (settled "no"): past
# menopause (on average at 51, nearly always by 55) neither is a question (docs/staff-pages.md).
CHECK_IN_PREGNANCY_AGE_LIMIT = env.int("CHECK_IN_PREGNANCY_AGE_LIMIT", default=55)
# An order's pregnancy status settles the question for this many days after the order came;
# older, it is asked again on the day (a statement made weeks ago says little about today).
CHECK_IN_ORDER_PREGNANCY_DAYS = env.int("CHECK_IN_ORDER_PREGNANCY_DAYS", default=7)
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="galactogram-demo")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "security.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "radiology.interfaces.api.errors.json_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only: a form or multipart body is a 415, as docs/api.md says (and the schema lists JSON only).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Galactogram scheduling API",
    "DESCRIPTION": (
        "Book, move and follow mammary ductogram (galactogram) appointments. Authenticate with "
        "`Authorization: Token <token>` (issue one with `manage.py issue_api_token USERNAME`) or a "
        "browser session. Times are ISO 8601 with an offset; every error is JSON with an `error` sentence."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc are served from our own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its documentation pages for signed-in users and API tokens only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {"AppointmentStatusEnum": "radiology.models.AppointmentStatus.choices"},
}

# Logs carry ids and states, never names or clinical answers.
# One format and one clock (UTC, ISO 8601) for every process: web (gunicorn's own loggers
# too, config/gunicorn.conf.py), worker and beat (Celery logs through this root handler, not its
# own), the listeners and runserver (config/log_format.py). Secret addresses (patient links,
# calendar feeds, unlock links) are masked on the handler (security/log_redaction.py): Django
# logs the path of each 404, 429 and CSRF refusal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"()": "config.log_format.UTCFormatter"}},
    "filters": {
        "no_traceback_below_500": {"()": "config.log_format.NoTracebackBelow500"},
        "redact_secrets": {"()": "security.log_redaction.RedactSecretsFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_traceback_below_500", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # runserver's request lines: Django's default gives them a format and clock of their own.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"

# Reminders: the outbox (notifications) and its dispatcher. See docs/reminders.md.
NOTIFICATIONS_TIME_ZONE = CLINIC_TIME_ZONE
NOTIFICATIONS_QUEUE = env.str("NOTIFICATIONS_QUEUE", default="celery")
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=500)
NOTIFICATIONS_SEND_CHUNK = env.int("NOTIFICATIONS_SEND_CHUNK", default=10)
NOTIFICATIONS_MAX_IN_FLIGHT = env.int("NOTIFICATIONS_MAX_IN_FLIGHT", default=20000)
# A claimed row not started within this is claimed again (its Celery message was lost).
NOTIFICATIONS_CLAIM_LEASE_SECONDS = env.int("NOTIFICATIONS_CLAIM_LEASE_SECONDS", default=600)
# ... unless the broker shows its task is gone (Redis restarted empty): then claimed again at the
# first tick after this many seconds (notifications/broker.py).
NOTIFICATIONS_LOST_AFTER_SECONDS = env.int("NOTIFICATIONS_LOST_AFTER_SECONDS", default=30)
# A started send not finished within this is `unknown`: checked with the provider, then resent.
NOTIFICATIONS_SEND_LEASE_SECONDS = env.int("NOTIFICATIONS_SEND_LEASE_SECONDS", default=300)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60)
SMS_QUIET_HOURS_START = env.str("SMS_QUIET_HOURS_START", default="21:00")
SMS_QUIET_HOURS_END = env.str("SMS_QUIET_HOURS_END", default="08:00")
STAFF_DIGEST_TIME = env.str("STAFF_DIGEST_TIME", default="07:00")
PATIENT_PAGE_RATE_LIMIT = env.str("PATIENT_PAGE_RATE_LIMIT", default="30/m")
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-messages": {"task": "notifications.dispatch", "schedule": 30.0, "options": {"expires": 25}},
    "plan-staff-digests": {"task": "radiology.plan_staff_digests", "schedule": 600.0, "options": {"expires": 300}},
    # Follow-up escalations and rebooking steps (issue 20): due times are LoopStep rows.
    "reach-loop-steps": {"task": "radiology.reach_loop_steps", "schedule": 60.0, "options": {"expires": 50}},
    # Earlier-slot offers (issue 21 B): expired holds released, the time offered to the next.
    "advance-offer-rounds": {"task": "radiology.advance_offer_rounds", "schedule": 30.0, "options": {"expires": 25}},
    "waiting-list-long-waits": {"task": "radiology.add_long_waits", "schedule": 3600.0, "options": {"expires": 600}},
}
# How long an offered slot is held for the patient before it goes to the next (minutes).
OFFER_HOLD_MINUTES = env.int("OFFER_HOLD_MINUTES", default=20)
# Orders waiting longer than this (days from the order to today, or to the booked time) go on
# the waiting list by themselves; 0 turns that off.
WAITING_LIST_AUTO_AFTER_DAYS = env.int("WAITING_LIST_AUTO_AFTER_DAYS", default=21)
# How long a FHIR $hold keeps a proposal for its client (minutes).
FHIR_HOLD_MINUTES = env.int("FHIR_HOLD_MINUTES", default=OFFER_HOLD_MINUTES)

# --- FHIR R4 (radiology/fhir, docs/interfaces.md) ------------------------------------------
# Identifier systems the EHR matches on; each hospital sets its own (OIDs as urn:oid:…).
FHIR_MRN_SYSTEM = env.str("FHIR_MRN_SYSTEM", default="urn:example:galactogram:mrn")
FHIR_ACCESSION_SYSTEM = env.str("FHIR_ACCESSION_SYSTEM", default="urn:example:galactogram:accession")
FHIR_AE_TITLE_SYSTEM = env.str("FHIR_AE_TITLE_SYSTEM", default="urn:example:galactogram:dicom-ae-title")
# The placer's order numbers (ServiceRequest.identifier PLAC): its HL7 namespace (MSH-3 or ORC-2.2,
# as the order came) → its URI, e.g. "EPIC=urn:oid:1.2.840.1.2.3". Unlisted: urn:galactogram:placer:<namespace>.
FHIR_PLACER_SYSTEMS = env.dict("FHIR_PLACER_SYSTEMS", default={})
FHIR_DEFAULT_COUNT = env.int("FHIR_DEFAULT_COUNT", default=50)
FHIR_MAX_COUNT = env.int("FHIR_MAX_COUNT", default=500)

# --- DICOM Modality Worklist + MPPS (radiology/dicom; docs/interfaces.md) ---
WORKLIST_AE_TITLE = env.str("WORKLIST_AE_TITLE", default="GALACTO")
WORKLIST_PORT = env.int("WORKLIST_PORT", default=11112)
WORKLIST_BIND = env.str("WORKLIST_BIND", default="127.0.0.1")
# Staff at a modality type "nunez*" and expect Núñez; PS3.4 leaves PN case to the SCP.
WORKLIST_NAMES_CASE_INSENSITIVE = env.bool("WORKLIST_NAMES_CASE_INSENSITIVE", default=True)
# A query without ScheduledStationAETitle: "all" items of the department, or "none".
WORKLIST_UNKNOWN_STATION = env.str("WORKLIST_UNKNOWN_STATION", default="all")
# IssuerOfPatientID (0010,0021) in worklist items: the authority that assigns our MRNs.
WORKLIST_ISSUER_OF_PATIENT_ID = env.str("WORKLIST_ISSUER_OF_PATIENT_ID", default="GALACTO")
# The user MPPS changes are logged as (created at first use, in the technologist group, no password).
WORKLIST_MODALITY_USERNAME = env.str("WORKLIST_MODALITY_USERNAME", default="modality")
# TLS (config/tls.py): our certificate and key (PEM); with a CA, modalities must present a
# certificate it signed (mutual TLS, IHE ATNA). Unset: plain TCP.
WORKLIST_TLS_CERT = env.str("WORKLIST_TLS_CERT", default="")
WORKLIST_TLS_KEY = env.str("WORKLIST_TLS_KEY", default="")
WORKLIST_TLS_CA = env.str("WORKLIST_TLS_CA", default="")
# What one peer can take of the worklist service (docs/interfaces.md, "Limits"): associations
# at once (pynetdicom's default of 10 let ten idle sockets lock every modality out), and from
# one address; a peer that has not asked for an association within WORKLIST_ACSE_TIMEOUT, or
# is silent for WORKLIST_NETWORK_TIMEOUT, is closed; any PDU longer than WORKLIST_MAX_PDU_BYTES
# is refused before it is read (an A-ABORT), and one must arrive within WORKLIST_PDU_SECONDS.
WORKLIST_MAX_ASSOCIATIONS = env.int("WORKLIST_MAX_ASSOCIATIONS", default=64)
WORKLIST_MAX_ASSOCIATIONS_PER_ADDRESS = env.int("WORKLIST_MAX_ASSOCIATIONS_PER_ADDRESS", default=8)
WORKLIST_ACSE_TIMEOUT = env.float("WORKLIST_ACSE_TIMEOUT", default=10.0)
WORKLIST_DIMSE_TIMEOUT = env.float("WORKLIST_DIMSE_TIMEOUT", default=30.0)
WORKLIST_NETWORK_TIMEOUT = env.float("WORKLIST_NETWORK_TIMEOUT", default=30.0)
WORKLIST_MAX_PDU_BYTES = env.int("WORKLIST_MAX_PDU_BYTES", default=1_048_576)
WORKLIST_PDU_SECONDS = env.float("WORKLIST_PDU_SECONDS", default=10.0)
# The worklist service's database connections, lent to its association threads from a pool
# of at most this many (config/db_pool.py; PostgreSQL only): an association waits for one
# rather than open its own. 0: a connection per association thread (behind PgBouncer).
WORKLIST_DB_POOL_SIZE = env.int("WORKLIST_DB_POOL_SIZE", default=8)
# pynetdicom logs every C-FIND response at INFO: 200 lines per worklist query.
LOGGING.setdefault("loggers", {})["pynetdicom"] = {"level": env.str("PYNETDICOM_LOG_LEVEL", default="WARNING")}

# --- HL7 v2 order intake (the `hl7` process: python manage.py hl7_listener). See docs/interfaces.md.
HL7_BIND = env.str("HL7_BIND", default="127.0.0.1")
HL7_PORT = env.int("HL7_PORT", default=2575)
# MSH-3/MSH-4 of our ACKs; senders put them in MSH-5/MSH-6.
HL7_APPLICATION = env.str("HL7_APPLICATION", default="GALACTO")
HL7_FACILITY = env.str("HL7_FACILITY", default="RADIOLOGY")
# MSH-11 we accept (P production, T training, D debugging); others are rejected (AR).
HL7_PROCESSING_IDS = env.list("HL7_PROCESSING_IDS", default=["P", "T", "D"])
# Character set when MSH-18 is empty, or names no character set we know (HL7 table 0211
# values are all read) and the bytes are plain ASCII.
HL7_DEFAULT_ENCODING = env.str("HL7_DEFAULT_ENCODING", default="utf-8")
# The hospital's assigning authority (PID-3.4): its identifier is the MRN when no PID-3
# repetition is typed MR. By default the authority we send in SIU PID-3 (HL7_MRN_ISSUER).
HL7_MRN_AUTHORITY = env.str("HL7_MRN_AUTHORITY", default=env.str("HL7_MRN_ISSUER", default="HOSPITAL"))
# ADT: an update (A08/A31) for an MRN the department does not know is acknowledged AA and kept;
# on, it registers her (the department takes the hospital's whole register).
HL7_ADT_REGISTERS_UNKNOWN = env.bool("HL7_ADT_REGISTERS_UNKNOWN", default=False)
# ADT: the field that says she needs an interpreter, as SEGMENT-FIELD[.COMPONENT] (e.g. ZPI-2,
# PV2-23); Y sets the flag, N clears it. Empty: only a language we do not speak (PID-15) sets it.
HL7_INTERPRETER_FIELD = env.str("HL7_INTERPRETER_FIELD", default="")
# What one peer can take of the listener (docs/interfaces.md, "Limits"): a frame longer than
# HL7_MAX_MESSAGE_BYTES, or with more than HL7_MAX_SEGMENTS segments, is refused AR and kept
# as a row; a frame must arrive whole within HL7_FRAME_SECONDS of its first byte.
HL7_MAX_MESSAGE_BYTES = env.int("HL7_MAX_MESSAGE_BYTES", default=1_000_000)
HL7_MAX_SEGMENTS = env.int("HL7_MAX_SEGMENTS", default=1000)
HL7_FRAME_SECONDS = env.float("HL7_FRAME_SECONDS", default=30.0)
# A connection silent this long between messages is closed (interface engines reconnect).
HL7_IDLE_TIMEOUT_SECONDS = env.int("HL7_IDLE_TIMEOUT_SECONDS", default=300)
# Connections at once, in all and from one address; more are closed when they arrive. The
# kernel queues HL7_LISTEN_BACKLOG connections not yet accepted.
HL7_MAX_CONNECTIONS = env.int("HL7_MAX_CONNECTIONS", default=64)
HL7_MAX_CONNECTIONS_PER_ADDRESS = env.int("HL7_MAX_CONNECTIONS_PER_ADDRESS", default=8)
HL7_LISTEN_BACKLOG = env.int("HL7_LISTEN_BACKLOG", default=128)
# TLS for the listener (config/tls.py), as for the worklist: certificate, key, and the CA
# whose certificates interface engines must present. Unset: plain MLLP.
HL7_TLS_CERT = env.str("HL7_TLS_CERT", default="")
HL7_TLS_KEY = env.str("HL7_TLS_KEY", default="")
HL7_TLS_CA = env.str("HL7_TLS_CA", default="")
# --- Patient pages (radiology.pages.portal): languages and referrer ---------------------------
# Patient pages are in the patient's language (English or Spanish, as her messages);
# staff pages stay in LANGUAGE_CODE (no LocaleMiddleware). Translations: locale/.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Referrer only to our own pages (no <meta name="referrer" content="no-referrer">: with it
# Chromium posts forms with Origin: null and Django's CSRF check refuses them).
SECURE_REFERRER_POLICY = "same-origin"

# --- Security a clinic expects (h-security; see docs/security.md) -------------------------
from django.utils.csp import CSP  # noqa: E402

INSTALLED_APPS += ["axes", "knox", "security"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csp.ContentSecurityPolicyMiddleware") + 1,
    "security.middleware.PrivatePagesMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "security.middleware.IdleSessionMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "security.read_audit.ReadAuditMiddleware",  # every patient a staff request shows (docs/security.md)
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as axes asks

# Log-in throttling (django-axes) on /accounts/login/ and /admin/login/.
AUTHENTICATION_BACKENDS = ["security.throttle.LoginThrottleBackend", "django.contrib.auth.backends.ModelBackend"]
# Counted per username and address pair (security/throttle.py): a soft, doubling wait after
# LOGIN_BACKOFF_AFTER failures, then the hard lock.
LOGIN_BACKOFF_AFTER = env.int("LOGIN_BACKOFF_AFTER", default=3)
LOGIN_FAILURES_PER_PAIR = env.int("LOGIN_FAILURES_PER_PAIR", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Her own unlock link (e-mailed, single use) works this long.
LOGIN_UNLOCK_LINK_MINUTES = env.int("LOGIN_UNLOCK_LINK_MINUTES", default=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = "security.throttle.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
# A refused try (locked, or within the soft wait) neither counts nor extends the lock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "security.throttle.refused_response"
AXES_ENABLE_ADMIN = False  # managers unlock on /security/lockouts/
AXES_VERBOSE = False
# Behind a reverse proxy REMOTE_ADDR is the proxy: name the header the proxy sets to the
# client's address (e.g. HTTP_X_REAL_IP) so each workstation is counted on its own.
LOGIN_CLIENT_IP_HEADER = env.str("LOGIN_CLIENT_IP_HEADER", default="")
AXES_CLIENT_IP_CALLABLE = "security.throttle.client_address"

# Shared workstations: the session ends after SESSION_IDLE_MINUTES without a click, and when
# the browser closes.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Headers: a strict Content-Security-Policy (no inline script or style), no referrer outside
# the site, no camera/microphone/location/payment.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],  # Bootstrap draws its icons as data: SVG
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
CSRF_FAILURE_VIEW = "security.errors.csrf_failure"

# API tokens (django-rest-knox): hashed, named, expiring; `Authorization: Token <token>`.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
KNOX_TOKEN_MODEL = "security.ApiToken"  # noqa: S105 - a model name, not a secret
# knox's own migrations create its default token table even when the model is swapped for ours.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_DAYS), "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}

# Read audit: who opened which patient's data, kept 6 years by default.
ACCESS_LOG_DAYS = env.int("ACCESS_LOG_DAYS", default=2190)
CELERY_BEAT_SCHEDULE["purge-access-log"] = {
    "task": "security.purge_access_log",
    "schedule": 24 * 3600.0,
    "options": {"expires": 3600},
}


# --- Standards out: HL7 v2 over MLLP, iCalendar feeds (docs/interfaces.md) -------------------
# HL7 messages go to HL7_OUT_HOST:HL7_OUT_PORT through the outbox's `hl7` channel; with either
# unset nothing is planned.
HL7_OUT_HOST = env.str("HL7_OUT_HOST", default="")
HL7_OUT_PORT = env.int("HL7_OUT_PORT", default=0)
# Seconds to connect and to wait for the receiver's ACK; no ACK in time is retried.
HL7_OUT_TIMEOUT = env.float("HL7_OUT_TIMEOUT", default=10.0)
# TLS to the receiver: the CA its certificate must chain to (and HL7_OUT_HOST its name), and
# our own certificate and key if it asks for one. Unset CA: plain MLLP.
HL7_OUT_TLS_CA = env.str("HL7_OUT_TLS_CA", default="")
HL7_OUT_TLS_CERT = env.str("HL7_OUT_TLS_CERT", default="")
HL7_OUT_TLS_KEY = env.str("HL7_OUT_TLS_KEY", default="")
# Which HL7 messages go there (each can be switched off): siu (appointments), orm (the order's
# status, IHE RAD-3), oru (reports), dft (charges).
HL7_OUT_MESSAGES = env.list("HL7_OUT_MESSAGES", default=["siu", "orm", "oru", "dft"])
# The order status as ORM^O01 in HL7 v2.3.1 ("2.3.1") or OMG^O19 in v2.5.1 ("2.5.1").
HL7_ORDER_STATUS_VERSION = env.str("HL7_ORDER_STATUS_VERSION", default="2.3.1")
if HL7_ORDER_STATUS_VERSION not in ("2.3.1", "2.5.1"):  # found at start-up, not when a booking plans its message
    raise environ.ImproperlyConfigured("HL7_ORDER_STATUS_VERSION is 2.3.1 (ORM^O01) or 2.5.1 (OMG^O19)")
_unknown_hl7_kinds = set(HL7_OUT_MESSAGES) - {"siu", "orm", "oru", "dft"}
if _unknown_hl7_kinds:
    raise environ.ImproperlyConfigured(
        f"HL7_OUT_MESSAGES: unknown {sorted(_unknown_hl7_kinds)}; use siu, orm, oru, dft"
    )
# MSH-3/MSH-4 of what we send are HL7_APPLICATION/HL7_FACILITY (above); MSH-5/MSH-6:
HL7_RECEIVING_APPLICATION = env.str("HL7_RECEIVING_APPLICATION", default="EHR")
HL7_RECEIVING_FACILITY = env.str("HL7_RECEIVING_FACILITY", default="HOSPITAL")
# PID-3's assigning authority: MRN^^^HL7_MRN_ISSUER^MR
HL7_MRN_ISSUER = env.str("HL7_MRN_ISSUER", default="HOSPITAL")
HL7_PROCESSING_ID = env.str("HL7_PROCESSING_ID", default="P")
# Calendar feeds show "Galactogram" and the MRN's last four characters; names only when on.
CALENDAR_SHOW_NAMES = env.bool("CALENDAR_SHOW_NAMES", default=False)

# --- Operations (h-ops): health, metrics, proxies -------------------------------------------
INSTALLED_APPS += ["monitoring"]
# Request latency for /metrics; first so that it times the whole stack.
MIDDLEWARE.insert(0, "monitoring.middleware.RequestLatencyMiddleware")
# Before the session or the user is read: a 414 needs neither.
MIDDLEWARE.insert(1, "security.errors.AddressLengthMiddleware")
# Bearer token /metrics asks for when set (Prometheus: `authorization: {credentials: …}`).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if PRODUCTION and not METRICS_TOKEN:
    # /metrics and /healthz's details would be open to anyone who can reach the site.
    raise environ.ImproperlyConfigured("METRICS_TOKEN must be set in production (/metrics and /healthz details)")
# Addresses of the reverse proxies in front of gunicorn (IPs or CIDR networks). A request from
# one of them is attributed to the address it put in X-Forwarded-For (patient-page rate limit).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Load balancers probe over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=120)
# The HL7 and worklist listeners write a heartbeat this often; /healthz says one is down when
# its heartbeat is older than the max age (monitoring/liveness.py).
LISTENER_HEARTBEAT_SECONDS = env.float("LISTENER_HEARTBEAT_SECONDS", default=5.0)
LISTENER_MAX_AGE_SECONDS = env.float("LISTENER_MAX_AGE_SECONDS", default=20.0)
HEALTH_OVERDUE_SECONDS = env.int("HEALTH_OVERDUE_SECONDS", default=300)
# After a start, beat's first tick and the outbox's catch-up are "starting", not failures.
HEALTH_START_GRACE_SECONDS = env.int("HEALTH_START_GRACE_SECONDS", default=90)
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE["heartbeat"] = {
    "task": "monitoring.heartbeat",
    "schedule": HEARTBEAT_SECONDS,
    "options": {"expires": HEARTBEAT_SECONDS * 5 / 6},
}
# How often beat ticks the dispatcher (the two-node test shortens it; 30 s in service).
CELERY_BEAT_SCHEDULE["dispatch-due-messages"]["schedule"] = env.float("NOTIFICATIONS_DISPATCH_SECONDS", default=30.0)
# With persistent connections (DJANGO_CONN_MAX_AGE, 60 s by default), check one before reuse: a database
# failover or restart then costs one reconnect, not a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)

# --- The patient talks back (issue 21 A, C; docs/interfaces.md "Inbound SMS") ---------------
# The provider-neutral webhook's shared secret (HMAC-SHA256 of "<timestamp>.<raw body>");
# empty refuses every inbound message (403) rather than accepting unsigned ones.
SMS_INBOUND_SECRET = env.str("SMS_INBOUND_SECRET", default="")
SMS_INBOUND_MAX_SKEW_SECONDS = env.int("SMS_INBOUND_MAX_SKEW_SECONDS", default=300)
# Twilio signs its webhooks with the account's auth token (X-Twilio-Signature).
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
# A shared number's "which appointment?" answers (C1, C2…) count for this long.
SMS_CHOICE_VALID_HOURS = env.int("SMS_CHOICE_VALID_HOURS", default=72)
# Order invitations: sent for every new order when on (e.g. HL7 order intake); their link
# lasts this long; unanswered ones go on the schedulers' to-do after this many hours.
ORDER_INVITATIONS_AUTOMATIC = env.bool("ORDER_INVITATIONS_AUTOMATIC", default=False)
ORDER_INVITATION_MAX_AGE_DAYS = env.int("ORDER_INVITATION_MAX_AGE_DAYS", default=14)
ORDER_INVITATION_TODO_AFTER_HOURS = env.int("ORDER_INVITATION_TODO_AFTER_HOURS", default=72)
CELERY_BEAT_SCHEDULE["reach-invitation-steps"] = {
    "task": "radiology.reach_invitation_steps",
    "schedule": 60.0,
    "options": {"expires": 50},
}
