"""`anju permit …`: checking an electronic residence permit's QR text offline, with the county's
public key (this installation's, or the PEM file of the county that issued it)."""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Electronic residence permits (电子居住证).", no_args_is_help=True)


@app.command("verify")
def verify(
    payload: str = typer.Argument(..., help="the QR code's text, or a file holding it"),
    public_key: Path = typer.Option(None, "--public-key", help="the issuing county's public key "
                                    "(PEM); default: this installation's"),
    registry: bool = typer.Option(False, "--registry", help="also look the permit up in this "
                                  "installation's database (revoked? endorsed since?)"),
) -> None:
    """Check the signature and the validity dates; exit 0 when valid, 1 when not."""
    from anju.cases.service import permits
    from anju.core import signing
    from anju.core.errors import AnjuError

    text = payload
    try:
        if len(payload) < 256 and Path(payload).is_file():
            text = Path(payload).read_text("utf-8").strip()
    except OSError:
        pass
    try:
        key = signing.PublicKey.from_text(public_key.read_text("utf-8")) if public_key else None
        if registry:
            from anju.core.config import get_settings
            from anju.core.db import Database

            settings = get_settings()
            with Database(settings.resolved_database_url).unit_of_work() as session:
                result = permits.verify(session, text)
        else:
            result, _ = permits.check(text, key)
    except (AnjuError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{'VALID 有效' if result.valid else 'INVALID 无效'}: "
               f"{result.reason_zh} / {result.reason_en}")
    if result.permit_number:
        typer.echo(f"permit 证号: {result.permit_number}  holder 持证人: {result.holder}  "
                   f"valid 有效期: {result.valid_from} – {result.valid_until}")
    raise typer.Exit(0 if result.valid else 1)
