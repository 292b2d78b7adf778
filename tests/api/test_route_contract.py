"""Every route demands a signed-in actor, except the few public ones listed in the app, and the
signature-authenticated device endpoints. A new route that forgets authentication fails here."""
from __future__ import annotations

import re

from fastapi.routing import APIRoute

from anju.core.domain import domains
from anju.web.app import PUBLIC_PATHS, create_app


def all_routes(app) -> list[tuple[str, set[str]]]:
    """(path, methods) of every HTTP route, including those inside included routers."""
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append((route.path, set(route.methods)))
        elif hasattr(route, "effective_route_contexts"):  # FastAPI's included routers
            found += [(ctx.path, set(ctx.methods)) for ctx in route.effective_route_contexts()]
        elif getattr(route, "methods", None):  # plain Starlette routes (docs, openapi)
            found.append((route.path, set(route.methods)))
    return found


def _signed_paths() -> set[str]:
    return {path for described in domains() for path in described.signed_paths}


def test_every_route_requires_authentication(sqlite_db):
    from fastapi.testclient import TestClient

    app = create_app(db=sqlite_db)
    exempt = PUBLIC_PATHS | _signed_paths()
    checked, failures = 0, []
    with TestClient(app) as client:
        for route_path, methods in all_routes(app):
            if route_path in exempt:
                continue
            path = re.sub(r"\{[^}]+\}", "1", route_path)
            for method in methods - {"HEAD", "OPTIONS"}:
                response = client.request(method, path, follow_redirects=False)
                checked += 1
                ok = response.status_code == 401 or (
                    response.status_code in (302, 303, 307) and
                    response.headers.get("location", "").startswith("/login"))
                if not ok:
                    failures.append(f"{method} {route_path} answered {response.status_code} "
                                    "without credentials")
    assert checked >= 15
    assert not failures, "\n".join(failures)


def test_signed_paths_refuse_unsigned_requests(sqlite_db):
    from fastapi.testclient import TestClient

    with TestClient(create_app(db=sqlite_db)) as client:
        for path in _signed_paths():
            response = client.post(path, content=b'{"vendor": "x", "events": []}',
                                   headers={"content-type": "application/json"})
            assert response.status_code in (401, 403), (path, response.status_code)


def _params(app):
    """(path, parameter field) of every path and query parameter of every route."""
    def flat(dependant):
        yield from dependant.path_params
        yield from dependant.query_params
        for sub in dependant.dependencies:
            yield from flat(sub)

    for route in app.routes:
        contexts = ([route] if isinstance(route, APIRoute) else
                    list(route.effective_route_contexts())
                    if hasattr(route, "effective_route_contexts") else [])
        for ctx in contexts:
            dependant = getattr(ctx, "dependant", None) or getattr(ctx.route, "dependant", None)
            if dependant is None:
                continue
            for field in flat(dependant):
                yield ctx.path, field


def test_every_integer_parameter_is_bounded(sqlite_db):
    """An id past the database's integer range must be a 422 from validation, never a 500
    from the driver: every int path or query parameter declares a maximum (use
    anju.core.types.RecordId / Cursor)."""
    import annotated_types

    app = create_app(db=sqlite_db)
    checked, unbounded = 0, []
    for path, field in _params(app):
        annotation = field.field_info.annotation
        if annotation is not int:
            continue
        checked += 1
        if not any(isinstance(m, (annotated_types.Le, annotated_types.Lt))
                   for m in field.field_info.metadata):
            unbounded.append(f"{path} {field.name}")
    assert checked >= 15
    assert not unbounded, unbounded
