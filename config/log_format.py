"""The one log line of every process: `2026-12-02T04:05:06.789Z INFO name message`, in UTC
whatever the machine's zone, so lines of web, worker and beat interleave in time order."""

import logging
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class UTCFormatter(logging.Formatter):
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self, fmt=FORMAT, datefmt=None, style="%", **kwargs):
        super().__init__(fmt, datefmt, style, **kwargs)


class NoTracebackBelow500(logging.Filter):
    """A refused request (403, 404, 405) is one line: Django attaches the exception it turned
    into the response, and a traceback for a permission check is noise that hides real errors."""

    def filter(self, record):
        if getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True


# gunicorn's loggers (error and access) in the same format (its logconfig_dict).
GUNICORN_LOGCONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"()": "config.log_format.UTCFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
