"""`anju peers` and `anju federation`: the operator's side of the exchange with other
installations. Each command opens the database and calls one service function, acting as the
console's system identity (recorded as such on the audit chain)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

peers = typer.Typer(help="Peer installations (other counties' Anju) and their keys.",
                    no_args_is_help=True)
app = typer.Typer(help="Signed exchange with peer installations (跨县互联).", no_args_is_help=True)


def _database():
    from anju.core.config import get_settings
    from anju.core.db import Database

    settings = get_settings()
    return Database(settings.resolved_database_url, settings.db_pool_size)


def _actor():
    from anju.core.identity import job_actor

    return job_actor("federation.console")


def _fail(error) -> None:
    typer.echo(f"error: {error.message_en} ({error.message_zh})"
               + (f" [{error.field}]" if error.field else ""), err=True)
    raise typer.Exit(2)


@peers.callback()
def _peers() -> None:
    """Peer installations."""


@peers.command("add")
def peers_add(
    name: Annotated[str, typer.Option(help="the peer's name, e.g. 安吉县")],
    division: Annotated[str, typer.Option(help="its 6-digit county code")],
    url: Annotated[str, typer.Option(help="its base URL, e.g. https://anju.anji.example")],
    public_key: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                             help="file with its public key, as its "
                                             "`anju federation public-key` printed it")],
    link_secret_file: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="file with the secret both counties agreed for the "
        "keyed hash of ID numbers (needed for person-level messages)")] = None,
    arrival_notices: Annotated[bool, typer.Option(
        help="send this peer arrival notices of its registered people (a configured duty)")] = False,
) -> None:
    """Add a peer with the key it sent out of band; prints its fingerprint to read back."""
    from anju.core.errors import AnjuError
    from anju.federation import service

    secret = link_secret_file.read_text(encoding="utf-8").strip() if link_secret_file else None
    try:
        with _database().unit_of_work() as session:
            view = service.add_peer(session, _actor(), name=name, division=division, url=url,
                                    public_key=public_key.read_text(encoding="utf-8"),
                                    link_secret=secret, arrival_notices=arrival_notices)
    except AnjuError as error:
        _fail(error)
    typer.echo(f"peer added: {view.name} {view.division_code} {view.base_url} "
               f"(fingerprint {view.fingerprint})")


@peers.command("list")
def peers_list() -> None:
    """Every peer: county code, name, URL, health, queued and failed messages, fingerprint."""
    from anju.federation import service

    with _database().unit_of_work() as session:
        for p in service.list_peers(session, _actor()):
            since = f" since {p.down_since:%Y-%m-%d %H:%M}" if p.down_since else ""
            typer.echo(f"{p.division_code}\t{p.name}\t{p.base_url}\t{p.health}{since}\t"
                       f"queued={p.queued}\tfailed={p.failed}\t{p.fingerprint}")


@app.callback()
def _app() -> None:
    """Federation commands."""


@app.command("public-key")
def public_key() -> None:
    """Print this installation's public key in the form `anju peers add --public-key` reads."""
    from anju.federation import service

    typer.echo(service.public_key_text(), nl=False)


@app.command("send-stats")
def send_stats(month: Annotated[str | None, typer.Option(help="YYYY-MM; default last month")] = None,
               peer: Annotated[str | None, typer.Option(help="one peer's county code")] = None,
               ) -> None:
    """Queue the month's released flow statistics for every peer (sent by `flush`)."""
    from anju.core.errors import AnjuError
    from anju.federation import service

    try:
        with _database().unit_of_work() as session:
            queued = service.send_stats(session, _actor(), month, peer)
            typer.echo(json.dumps([{"message_id": m.message_id, "peer": m.peer,
                                    "cells": len(m.body["cells"])} for m in queued]))
    except AnjuError as error:
        _fail(error)


@app.command("flush")
def flush(peer: Annotated[str | None, typer.Option(help="only this peer")] = None,
          workers: Annotated[int, typer.Option(min=1, max=16, help="messages in flight at "
                                                "once")] = 1) -> None:
    """Send what is queued now, whatever its retry time; prints what happened as JSON."""
    from anju.federation import service

    result = service.flush(_database(), _actor(), force=True, peer=peer, workers=workers)
    typer.echo(json.dumps(result.as_dict()))
