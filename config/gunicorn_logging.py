"""gunicorn's logs without secrets: patient links, calendar feeds and unlock links hold their
token in the path (security/log_redaction.py). In the access log every atom that can carry a
path (the path, the request line, the referrer: her page's own requests name it) is masked;
the error log ("Error handling request /p/…") goes through the same filter as Django's."""

from gunicorn.glogging import Logger

from security.log_redaction import RedactSecretsFilter, redact


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(RedactSecretsFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
