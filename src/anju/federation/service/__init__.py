"""Federation use cases (the only code that writes the federation tables)."""
from __future__ import annotations

from anju.federation.service.inbox import receive
from anju.federation.service.messages import (
    continuity_answer,
    list_messages,
    log_entries,
    my_requests,
    peer_names,
    request_continuity,
    send_arrival,
    send_stats,
)
from anju.federation.service.outbox import flush
from anju.federation.service.peers import add_peer, list_peers, public_key_text

__all__ = ["add_peer", "continuity_answer", "flush", "list_messages", "list_peers", "log_entries",
           "my_requests", "peer_names", "public_key_text", "receive", "request_continuity",
           "send_arrival", "send_stats"]
