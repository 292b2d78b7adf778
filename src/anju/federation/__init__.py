"""Signed exchange between Anju installations (docs/federation.md): peers and their SM2 keys,
signed envelopes and receipts, the outbox with retry, the keyed-hash message log, and the
message types — monthly flow statistics, service continuity for one person under a purpose,
and arrival notices where two counties agreed to that duty.

An installation is named by its county code (`ANJU_COUNTY_CODE`); its key pair is
`anju.core.signing`'s. Each side signs what it sends, logs what it sent and received, and the
owner of the data decides what leaves: a person-level answer goes through the receiver's own
access layer under the purpose named in the request.
"""
from __future__ import annotations

from anju.core.domain import Domain, Job

_ON = "anju.federation.service.continuity"

DOMAIN = Domain(
    name="federation",
    policy="anju.federation.policy",
    models="anju.federation.models",
    api="anju.federation.api:router",
    pages="anju.federation.pages",
    words="anju.federation.words:WORDS",
    cli=(("peers", "anju.federation.cli:peers"), ("federation", "anju.federation.cli:app")),
    # peers authenticate by the SM2 signature over the envelope, not by an account
    signed_paths=("/api/v1/federation/messages",),
    verifies=("anju.federation.log:verify",),
    # arrival notices to the place of registration, where a peer has that duty (off by default)
    listeners=(("registration.approved", f"{_ON}:on_registration_approved"),
               ("registration.ended", f"{_ON}:on_registration_ended")),
    # the resident's registrations say a notice went (and to whom); the dashboard shows the flows
    notes=(("registration", "anju.federation.notes:registration_notes"),
           ("dashboard", "anju.federation.notes:dashboard_panels")),
    jobs=(Job("federation.deliver", "anju.federation.service.outbox:deliver_job", "every minute",
              "向互联县发送到期的待发报文（失败的按退避时间重试）",
              "send the messages due to peer installations (failed ones retried with backoff)"),),
)
