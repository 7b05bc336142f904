import time

from monitoring.metrics import REQUEST_LATENCY


class RequestLatencyMiddleware:
    """Times every request into the latency histogram, labelled by view name (not path:
    paths carry ids and would make a series per appointment)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match.route) if match else "unmatched"
        REQUEST_LATENCY.labels(view=view, method=request.method).observe(time.perf_counter() - started)
        return response
