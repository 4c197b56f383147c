"""Generators of large, realistic source files for benchmarks: a Slack export and Alertmanager JSON Lines."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2024, 3, 1, tzinfo=UTC)
_WORDS = (
    "checkout", "latency", "error", "rate", "deploy", "rollback", "database", "pool", "connections", "p99",
    "timeout", "retry", "queue", "kafka", "consumer", "lag", "node", "pod", "restart", "memory", "cpu", "disk",
    "alert", "page", "on-call", "mitigated", "resolved", "looking", "dashboard", "runbook", "config", "flag",
    "canary", "region", "traffic", "shifted", "customers", "impact", "status", "update",
)  # fmt: skip
_PER_DAY_FILE = 400


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize()


def write_slack_export(directory: Path, messages: int, channels: int = 20) -> int:
    """Write a Slack export folder of `messages` messages over `channels` channels; returns the message count."""
    rng = random.Random(42)
    directory.mkdir(parents=True, exist_ok=True)
    users = [
        {
            "id": f"U{index:08d}",
            "team_id": "T00000001",
            "name": f"user{index}",
            "real_name": f"Person {index}",
            "profile": {"real_name": f"Person {index}", "display_name": f"p{index}", "team": "T00000001"},
            "is_bot": False,
        }
        for index in range(200)
    ]
    (directory / "users.json").write_text(json.dumps(users))
    names = [f"incident-{index:02d}" for index in range(channels)]
    listing = [
        {"id": f"C{index:08d}", "name": name, "created": int(START.timestamp()), "creator": users[0]["id"]}
        for index, name in enumerate(names)
    ]
    (directory / "channels.json").write_text(json.dumps(listing))
    per_channel = [messages // channels + (1 if index < messages % channels else 0) for index in range(channels)]
    for name, count in zip(names, per_channel, strict=True):
        folder = directory / name
        folder.mkdir(exist_ok=True)
        moment = START
        written = 0
        day = 0
        while written < count:
            batch = min(_PER_DAY_FILE, count - written)
            records = []
            parent_ts = ""
            for _ in range(batch):
                moment += timedelta(microseconds=rng.randrange(1, 200_000_000))
                ts = f"{int(moment.timestamp())}.{moment.microsecond:06d}"
                user = users[rng.randrange(len(users))]["id"]
                roll = rng.random()
                record: dict[str, object] = {"type": "message", "user": user, "ts": ts}
                if roll < 0.02:
                    record = {
                        "type": "message",
                        "subtype": "bot_message",
                        "username": "deploybot",
                        "bot_id": "B00000001",
                        "text": f"Deploy checkout v2.{rng.randrange(99)}.{rng.randrange(9)} finished",
                        "ts": ts,
                    }
                elif roll < 0.04:
                    record.update(subtype="channel_join", text=f"<@{user}> has joined the channel")
                elif roll < 0.20:
                    record["text"] = f"<@{users[rng.randrange(len(users))]['id']}> {_sentence(rng, 8)}"
                elif roll < 0.25:
                    link = f"<https://grafana.example/d/{rng.randrange(999)}|dashboard>"
                    record["text"] = f"see {link} {_sentence(rng, 4)}"
                else:
                    record["text"] = _sentence(rng, rng.randrange(4, 20))
                if "subtype" not in record:
                    if parent_ts and rng.random() < 0.15:
                        record["thread_ts"] = parent_ts
                    elif rng.random() < 0.05:
                        parent_ts = ts
                        record["thread_ts"] = ts
                    if rng.random() < 0.03:
                        record["edited"] = {"user": user, "ts": ts}
                records.append(record)
            # Day-file names follow the exporter's local date; readers must not rely on them.
            stamp = (START + timedelta(days=day)).date().isoformat()
            (folder / f"{stamp}.json").write_text(json.dumps(records, indent=1))
            written += batch
            day += 1
    return messages


def write_alertmanager_jsonl(path: Path, alerts: int) -> int:
    """Write Alertmanager webhook payloads (one per line) firing `alerts` alerts, half of them resolved later."""
    rng = random.Random(7)
    path.parent.mkdir(parents=True, exist_ok=True)
    moment = START
    with path.open("w", encoding="utf-8") as stream:
        made = 0
        group = 0
        while made < alerts:
            size = min(rng.randrange(1, 8), alerts - made)
            moment += timedelta(milliseconds=rng.randrange(1, 30_000))
            starts = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
            name = f"Alert{group % 97}"
            batch: list[dict[str, object]] = [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": name,
                        "instance": f"host-{made + index}:9100",
                        "job": "node",
                        "severity": rng.choice(("warning", "critical")),
                    },
                    "annotations": {"summary": f"{name} on host-{made + index}", "description": _sentence(rng, 6)},
                    "startsAt": starts,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": f"http://prometheus.example:9090/graph?g0.expr=alert{group % 97}",
                    "fingerprint": f"{made + index:016x}",
                }
                for index in range(size)
            ]
            stream.write(json.dumps(_payload("firing", name, batch)) + "\n")
            if group % 2 == 0:
                ends = (moment + timedelta(minutes=rng.randrange(1, 90))).isoformat().replace("+00:00", "Z")
                resolved = [dict(alert, status="resolved", endsAt=ends) for alert in batch]
                stream.write(json.dumps(_payload("resolved", name, resolved)) + "\n")
            made += size
            group += 1
    return alerts


def _payload(status: str, name: str, alerts: list[dict[str, object]]) -> dict[str, object]:
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "afteraction",
        "groupLabels": {"alertname": name},
        "commonLabels": {"alertname": name, "job": "node"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    }
