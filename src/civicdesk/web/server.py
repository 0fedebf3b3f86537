"""Serving the app: one process under uvicorn, or several forked from one loaded parent.

With more than one worker, gunicorn's parent process builds the app and loads everything the
assistant needs (the knowledge index, the privacy engine, the language model) once, then forks
the workers. The forked workers share those pages with the parent for as long as nobody writes
to them, so memory grows by far less than a full copy per worker. Objects alive at fork time
are moved out of the garbage collector's reach (``gc.freeze``) so that a collection in a worker
does not touch, and so copy, every shared page. See ADR 0043.

A single worker runs in-process under uvicorn, loaded before the first request too.
"""

from __future__ import annotations

import gc
from typing import Any

from fastapi import FastAPI

from civicdesk.settings import Settings
from civicdesk.web.app import create_app


def loaded_app(settings: Settings) -> FastAPI:
    """The app with the assistant built, so the first citizen does not wait for the index."""
    from civicdesk.web.routes.citizen import assistant_of

    app = create_app(settings)
    assistant_of(app)
    return app


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    app = loaded_app(settings)
    if workers == 1:
        import uvicorn

        uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)
        return
    _Forking(app, bind=f"{host}:{port}", workers=workers).run()


class _Forking:
    """gunicorn with uvicorn workers, the app loaded once in the parent (``preload_app``)."""

    def __init__(self, app: FastAPI, *, bind: str, workers: int) -> None:
        from gunicorn.app.base import BaseApplication

        engine = app.state.engine
        # The parent's pooled connections must not be used by two processes: each worker
        # drops its inherited pool (without closing the parent's sockets) and opens its own.
        engine.dispose(close=False)

        def post_fork(_server: Any, _worker: Any) -> None:
            engine.dispose(close=False)

        options = {
            "bind": bind,
            "workers": workers,
            "worker_class": "uvicorn_worker.UvicornWorker",
            "preload_app": True,
            "post_fork": post_fork,
            "pre_fork": lambda _server, _worker: gc.freeze(),
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "forwarded_allow_ips": "127.0.0.1",
            "graceful_timeout": 20,
            "timeout": 60,
        }

        class Application(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> FastAPI:
                return app

        self._application = Application()

    def run(self) -> None:
        self._application.run()
