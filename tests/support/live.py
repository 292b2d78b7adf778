"""A real uvicorn server in a background thread, for browser and concurrency tests."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from tests.support.pgserver import free_port


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve `app` on a free 127.0.0.1 port as `anju serve` would (forwarded headers believed
    only from the app's ANJU_TRUSTED_PROXIES); yields the base URL."""
    from anju.core.web import server_options

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on",
                                           **server_options(app.state.settings)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
