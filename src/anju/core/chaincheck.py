"""Verifying the audit chain: every partition, every recorded root, every witness.

Each partition is walked in sequence order under the audit key; the first entry that was
altered, deleted, moved or re-hashed is named by partition and number. The recorded Merkle
roots (`audit_roots`) must still be the roots of the heads they list, and each such head, like
each head a witness line vouches for, must still be the entry at that place in the chain — so a
chain cut short and written on, or a tail deleted with its head row, is named with the range
that is gone. Entries the sealer has not reached yet are counted as pending: not tampering.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hmac
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.core import audit, witness
from anju.core.config import Settings
from anju.core.models import AuditEntry, AuditHead, AuditRoot

Anchor = tuple[str, str, str]  # (the hash vouched for, who vouched in Chinese, in English)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # sealed entries whose links and hashes hold
    bad: tuple[int, int] | None = None  # (partition, seq) of the first problem
    problems: tuple[tuple[str, str], ...] = ()  # (Chinese, English) each
    missing: tuple[tuple[int, int, int], ...] = ()  # (partition, first, last) seen, now gone
    witness: witness.Witness | None = None  # the latest valid witness
    pending: int = 0  # appended, committed, not sealed yet
    partitions: int = 0
    roots: int = 0  # recorded Merkle roots that hold

    @property
    def bad_seq(self) -> int | None:
        return self.bad[1] if self.bad else None

    @property
    def bad_part(self) -> int | None:
        return self.bad[0] if self.bad else None

    @property
    def reason(self) -> str:
        return "; ".join(en for _, en in self.problems)

    def text(self, lang: str = "en") -> str:
        zh = lang == "zh"
        if self.ok:
            w = self.witness
            seen = (f"最近见证：{w.at}，共 {w.seq} 条" if zh else
                    f"last witnessed: {w.seq} entries at {w.at}") if w else (
                "尚无见证，末尾的删除无法排除" if zh else
                "not witnessed yet, so deletions at the end cannot be ruled out")
            waiting = ((f"，另有 {self.pending} 条待封存（尚未编号，不是篡改）" if zh else
                        f", {self.pending} pending (not sealed yet, not tampering)")
                       if self.pending else "")
            return (f"审计链完整：{self.partitions} 个分区共 {self.checked} 条{waiting}；"
                    f"已核对 {self.roots} 个默克尔根；{seen}" if zh else
                    f"audit chain intact: {self.checked} entries in {self.partitions} partitions"
                    f"{waiting}; {self.roots} Merkle roots checked; {seen}")
        reasons = "；".join(z for z, _ in self.problems) if zh else self.reason
        if self.bad:
            part, seq = self.bad
            return (f"审计链在分区 {part} 第 {seq} 条处被破坏：{reasons}" if zh else
                    f"audit chain broken at partition {part}, entry {seq}: {reasons}")
        return f"审计链有问题：{reasons}" if zh else f"audit chain problem: {reasons}"

    def message(self) -> str:
        return f"{self.text('en')} ({self.text('zh')})"


def _check(entry: AuditEntry, expected: int, prev: str, mac: hmac.HMAC,
           anchors: dict[int, list[Anchor]], vouched: int) -> tuple[int, str, str] | None:
    """What is wrong with one link of a partition's chain, as (seq, Chinese, English), or
    None."""
    if entry.seq != expected:
        return (expected, f"第 {expected} 条缺失（被删除或移动），下一条是第 {entry.seq} 条",
                f"entry {expected} is missing (deleted or reordered); next present is {entry.seq}")
    if entry.prev_hash != prev:
        return (entry.seq, "与上一条的哈希链接不符（之前的条目被修改、删除或移动）",
                ("previous-hash link does not match (an earlier entry was changed, deleted or "
                 "reordered)"))
    h = mac.copy()
    h.update((prev + "\n" + audit.canonical(entry)).encode("utf-8"))
    if h.finalize().hex() != entry.entry_hash:
        return (entry.seq, "内容被修改，或其哈希不是用审计密钥计算的（被重新计算）",
                ("entry content was altered, or its hash was not made with the audit key "
                 "(re-hashed)"))
    for vouched_hash, by_zh, by_en in anchors.get(entry.seq, ()):
        if vouched_hash != entry.entry_hash:
            first = vouched + 1  # the last anchor before this one still matched
            return (entry.seq,
                    f"与{by_zh}不符：第 {first}–{entry.seq} 条之间有条目被删除或替换后又续写",
                    f"differs from {by_en}: entries {first}–{entry.seq} were deleted or "
                    "replaced and the chain written on")
    return None


def _walk(session: Session, part: int, mac: hmac.HMAC, anchors: dict[int, list[Anchor]],
          batch: int) -> tuple[int, str, tuple[int, str, str] | None]:
    """Walk one partition: (entries that hold, the last good hash, the first problem)."""
    expected, prev, vouched = 1, audit.genesis(part), 0
    rows = session.execute(select(AuditEntry).where(AuditEntry.part == part,
                                                    AuditEntry.seq.is_not(None))
                           .order_by(AuditEntry.seq)).yield_per(batch).scalars()
    for entry in rows:
        broken = _check(entry, expected, prev, mac, anchors, vouched)
        if broken:
            return expected - 1, prev, broken
        prev, expected = entry.entry_hash, expected + 1
        vouched = entry.seq if entry.seq in anchors else vouched
    return expected - 1, prev, None


def _roots(session: Session, anchors: dict[int, dict[int, list[Anchor]]]
           ) -> tuple[int, list[tuple[str, str]]]:
    """Check each recorded root against the heads it lists; add those heads to `anchors`."""
    good, problems = 0, []
    for r in session.execute(select(AuditRoot).order_by(AuditRoot.id)).scalars():
        at = r.at.isoformat(timespec="seconds")
        try:
            heads = [(int(p), int(seq), str(h)) for p, seq, h in json.loads(r.heads)]
        except (ValueError, TypeError):
            heads = None
        if heads is None or witness.merkle_root(heads) != r.root:
            problems.append((f"{at} 记录的第 {r.id} 号默克尔根与其所列的分区链头不符（根或链头被修改）",
                             f"Merkle root no. {r.id} recorded at {at} does not match the heads "
                             "it lists (the root or the heads were altered)"))
            continue
        good += 1
        for part, seq, h in heads:
            if seq:
                anchors.setdefault(part, {}).setdefault(seq, []).append(
                    (h, f" {at} 记录的第 {r.id} 号默克尔根", f"Merkle root no. {r.id} of {at}"))
    return good, problems


def verify_chain(session: Session, batch: int = 5000, witness_files: Iterable = (),
                 settings: Settings | None = None) -> VerifyResult:
    """Walk every partition under the audit key and compare it with every recorded root and
    every valid witness (the witness file, plus `witness_files`, e.g. lines a remote syslog
    kept)."""
    good, bad_lines = witness.load(list(witness_files), settings)
    anchors: dict[int, dict[int, list[Anchor]]] = {}
    for w in good:
        for part, seq, h in w.heads:
            if seq:
                anchors.setdefault(part, {}).setdefault(seq, []).append(
                    (h, f" {w.at} 的见证", f"the witness of {w.at}"))
    roots, problems = _roots(session, anchors)
    mac = audit.mac(witness.chain_key(settings))
    parts = sorted(set(range(audit.partitions(session))) | set(anchors))
    heads = {h.part: h for h in session.execute(select(AuditHead)).scalars()}
    checked, bad, missing = 0, None, []
    for part in parts:
        held, prev, broken = _walk(session, part, mac, anchors.get(part, {}), batch)
        checked += held
        if broken:
            seq, zh, en = broken
            problems.append((f"分区 {part}：{zh}", f"partition {part}: {en}"))
            bad = bad or (part, seq)
            present = session.execute(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.part == part, AuditEntry.seq.is_not(None))).scalar_one()
        else:
            present = held
        top = max(anchors.get(part, {}), default=0)
        if top > present:
            missing.append((part, present + 1, top))
            bad = bad or (part, present + 1)
            by = [a for a in anchors[part][top]][-1]
            problems.append(_missing_text(part, present + 1, top, present, by, broken is not None))
        elif not broken and part in heads and (heads[part].last_seq, heads[part].last_hash) != (
                held, prev):
            head = heads[part]
            problems.append((f"分区 {part} 的链头记录为 {head.last_seq} 条，实际找到 {held} 条"
                             "（末尾的条目被删除）",
                             f"partition {part}: the head says {head.last_seq} entries ending in "
                             f"{head.last_hash[:12]}…, found {held} (entries deleted at the end)"))
            bad = bad or ((part, held + 1) if head.last_seq > held else None)
    for line in bad_lines:
        problems.append((f"见证记录无效：{line.source} 第 {line.line_no} 行，{line.reason_zh}",
                         f"invalid witness: {line.source} line {line.line_no}, {line.reason_en}"))
    latest = max(good, key=lambda w: w.seq, default=None)
    return VerifyResult(not problems, checked, bad, tuple(problems), tuple(missing), latest,
                        audit.pending(session), len(parts), roots)


def _missing_text(part: int, first: int, last: int, present: int, by: Anchor,
                  broken: bool) -> tuple[str, str]:
    _, by_zh, by_en = by
    by_zh = by_zh.strip()
    if broken:  # entries were removed and the rest renumbered/re-hashed
        return (f"分区 {part}：{by_zh}记录到第 {last} 条，现仅剩 {present} 条：少了 {last - present} 条"
                f"（第 {first}–{last} 号已不存在）",
                f"partition {part}: {by_en} had seen {last} entries, {present} remain: "
                f"{last - present} missing (numbers {first}–{last} are gone)")
    if present == 0:
        return (f"分区 {part} 的全部条目已被删除：{by_zh}记录了第 1–{last} 条",
                f"all entries of partition {part} were deleted: {by_en} had seen entries "
                f"1–{last}")
    return (f"分区 {part}：第 {first}–{last} 条缺失（末尾被删除）：{by_zh}已记录到第 {last} 条",
            f"partition {part}: entries {first}–{last} are missing (deleted at the end); "
            f"{by_en} had seen entry {last}")
