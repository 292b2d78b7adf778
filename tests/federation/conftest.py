"""A peer county (安吉, 330523) known to this installation (长兴, 330522), holding its own key
pair so tests can sign as it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from anju.core import signing
from anju.core.identity import job_actor
from anju.federation import service

PEER_CODE = "330523"
LINK_SECRET = "agreed-between-changxing-and-anji-2026"


@dataclass
class PeerCounty:
    code: str
    key: signing.KeyPair
    url: str = "http://anji.invalid"


@pytest.fixture
def peer(db) -> PeerCounty:
    signing.ensure_key()
    county = PeerCounty(PEER_CODE, signing.KeyPair.generate())
    with db.unit_of_work() as session:
        service.add_peer(session, job_actor("test"), name="安吉县", division=PEER_CODE,
                         url=county.url, public_key=county.key.public.to_text(),
                         link_secret=LINK_SECRET)
    return county
