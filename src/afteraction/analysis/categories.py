"""The factor taxonomy and a suggester that proposes categories for an incident from its text. Pure, no database.

The suggester combines a phrase lexicon per category (the taxonomy's keywords, which a team can edit) with an
optional model learned from the team's own categorised post-mortems: a one-vs-rest logistic regression over word
and lexicon features, written in plain Python so that the default install stays light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from afteraction.analysis.similarity import STOPWORDS, tokenize


@dataclass(frozen=True, slots=True)
class Category:
    """One category of contributing factors: slug, display name, what it covers, phrases that suggest it."""

    slug: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


DEFAULT_TAXONOMY: tuple[Category, ...] = (
    Category(
        "config-change",
        "Change / configuration",
        "A configuration, setting, flag, rule or schema was changed or wrong.",
        (
            "config", "configuration", "configured", "misconfiguration", "misconfigured", "config change",
            "configuration change", "setting", "settings", "feature flag", "flag", "parameter", "typo",
            "incorrect value", "wrong value", "bad config", "routing change", "route", "routes", "policy change",
            "rule", "rules", "firewall rule", "change was made", "change to", "manual change", "pushed",
            "propagated", "global configuration", "bgp", "dns record", "value was", "limit was set", "yaml", "json",
            "schema change", "migration", "migrated", "acl", "allowlist", "denylist", "threshold", "toggle",
            "config file", "config push", "invalid configuration", "default value", "changed the", "was changed",
        ),
        ("config", "change", "configuration", "change/config"),
    ),
    Category(
        "deploy",
        "Deploy / release",
        "A deployment, release, upgrade or rollout brought the fault in.",
        (
            "deploy", "deployed", "deployment", "release", "released", "rollout", "rolled out", "rollback",
            "rolled back", "roll back", "canary", "new version", "upgrade", "upgraded", "build", "ci/cd",
            "code change", "bug in the", "software bug", "regression", "patch",
        ),
        ("release", "deployment", "failed-deploy"),
    ),
    Category(
        "capacity",
        "Capacity",
        "A resource ran out: memory, disk, connections, quota, throughput.",
        (
            "capacity", "exhausted", "exhaustion", "out of memory", "oom", "disk full", "disk space", "quota",
            "rate limit", "throttled", "throttling", "traffic spike", "surge", "saturation", "saturated",
            "starvation", "connection pool", "overloaded", "overload", "load increased", "high load",
            "scaling", "scale up", "scaled", "ran out", "limit reached", "resource limits", "too many",
        ),
        ("load", "resources", "scaling"),
    ),
    Category(
        "dependency",
        "Dependency / third party",
        "A provider, cloud region, vendor or upstream service failed.",
        (
            "aws", "amazon web services", "ec2", "s3", "ebs", "rds", "gcp", "google cloud", "azure", "region",
            "availability zone", "us-east-1", "us east", "cloud", "cloud provider", "third-party", "third party",
            "vendor", "upstream", "provider", "saas", "cdn", "dependency", "external service", "data center",
            "datacenter", "managed service", "eks", "compute engine", "cloudflare", "lambda", "dynamodb", "route 53",
            "gke", "kubernetes engine", "cloud storage", "bigquery", "app engine", "zone", "zones", "multi-region",
            "hosting provider", "isp", "carrier", "fastly", "akamai", "heroku", "digitalocean", "instances",
        ),
        ("cloud", "third-party", "dependency/third party", "external"),
    ),
    Category(
        "hardware",
        "Hardware",
        "A physical failure: disks, power, cooling, fibre, network devices, faulty components.",
        (
            "hardware", "disk failure", "failed disk", "drive", "drives", "ssd", "hdd", "power", "power outage",
            "power loss", "lost power", "power failure", "ups", "generator", "generators", "cooling",
            "overheating", "temperature", "network card", "nic", "switch", "router", "fiber", "fibre", "cable",
            "memory module", "ram", "firmware", "rack", "battery", "faulty", "physical", "server failure",
            "hardware failure", "chip", "cpu", "circuit", "electrical", "transformer", "storage nodes", "disk",
            "disks", "raid", "storage array", "storage controller", "storage area network", "utility power",
            "breaker", "voltage", "chiller", "hvac", "air conditioning", "thermal", "lightning", "severe weather",
            "weather", "water damage", "fire alarm", "fire suppression",
            "fiber cut", "fibre cut", "cable cut", "optical", "transceiver", "line card", "network device",
            "network devices", "switches", "routers", "load balancer", "backbone", "link failure", "packet loss",
            "ecc", "bit flip", "memory errors", "host failure", "machine failure", "facility", "facilities",
        ),
        ("physical",),
    ),
    Category(
        "time",
        "Time / certificates",
        "Timing and time: clocks, dates, leap seconds, time zones, expiry, timeouts, races and schedules.",
        (
            "leap second", "leap year", "leap day", "time zone", "timezone", "clock", "clocks", "ntp",
            "daylight saving", "dst", "y2k", "certificate", "certificates", "cert", "expired", "expiry",
            "expiration", "expire", "expires", "calendar", "february 29", "feb 29", "epoch", "2038",
            "time drift", "clock skew", "date", "dates", "midnight", "new year", "overflow", "counter", "timestamp",
            "race condition", "race", "timing", "timeout", "timeouts", "timed out", "time out", "deadline",
            "deadlines", "ttl", "cron", "scheduled", "schedule", "timer", "timers", "interval", "wraparound",
            "rollover", "wrap around", "integer overflow", "32-bit", "monotonic", "utc", "gps", "renewal",
            "renew", "stale", "out of order", "ordering", "concurrency", "concurrent", "time-based", "duration",
        ),
        ("certificates", "certificate", "time/certificates", "clock"),
    ),
    Category(
        "monitoring-gap",
        "Monitoring gap",
        "Nothing alerted, or too late: missing checks, dashboards or visibility.",
        (
            "monitoring", "no alert", "alerting", "undetected", "not detected", "went unnoticed", "observability",
            "visibility", "blind spot", "customers reported", "customer reports", "did not alert",
            "missing alert", "lack of monitoring", "health check", "health checks",
        ),
        ("monitoring", "detection", "observability"),
    ),
    Category(
        "automation",
        "Automation",
        "A script, tool, job or automatic system acted on its own and made it worse.",
        (
            "automation", "automated", "automatic", "automatically", "script", "scripts", "tool", "tooling",
            "job", "cron", "orchestration", "autoscaling", "auto-scaling", "autoscaler", "self-healing",
            "playbook", "terraform", "pipeline", "bot", "scheduled", "failover", "maintenance process",
            "background process", "system removed", "controller", "reconcil", "ansible", "puppet", "chef",
            "salt", "kubernetes", "scheduler", "operator", "deploy system", "deployment system", "ci", "cd",
            "workflow", "batch", "agent", "daemon", "auto", "automatic failover", "orchestrator", "runner",
        ),
        ("tooling",),
    ),
    Category(
        "security",
        "Security",
        "An attack, breach, leak, vulnerability or access-control failure.",
        (
            "security", "breach", "attack", "attacker", "attackers", "ddos", "vulnerability", "exploit",
            "exploited", "leak", "leaked", "unauthorized", "unauthorised", "compromised", "compromise",
            "credentials", "phishing", "malware", "ransomware", "password", "passwords", "access control",
            "encryption", "exposed", "privilege", "hacker", "hacked", "intrusion", "malicious", "stolen",
            "secret", "secrets", "api key", "cve", "sha1", "collision", "data leak", "customer data",
            "authentication", "authorization", "permissions", "permission", "access", "token", "tokens",
            "tls", "ssl", "certificate authority", "firewall", "denial of service", "iam", "oauth", "login",
            "data loss", "integrity", "audit", "patching", "patch", "sso", "2fa", "mfa", "spoofing",
        ),
        ("attack", "breach"),
    ),
    Category(
        "cascading-failure",
        "Cascading failure",
        "One failure spread to others: overload, retries, load shifting, feedback loops, dependencies failing in turn.",
        (
            "cascading", "cascade", "cascaded", "domino", "retry storm", "retries", "thundering herd",
            "feedback loop", "knock-on", "chain reaction", "amplified", "amplification", "death spiral",
            "congestion collapse", "spread to", "spread", "in turn", "which caused", "which in turn",
            "snowball", "overwhelmed", "overwhelm", "deadlock", "circular dependency", "self-reinforcing",
            "backlog", "removed themselves", "propagated to", "overload", "overloaded", "overloading",
            "retry", "retried", "retrying", "reconnect", "reconnecting", "reconnection", "backpressure",
            "back pressure", "queue", "queues", "queued", "load shedding", "shed load", "load shifted",
            "shifted traffic", "remaining servers", "remaining nodes", "remaining capacity", "failover traffic",
            "exhausted", "exhaustion", "saturated", "saturation", "contention", "herd", "storm", "flood of",
            "circuit breaker", "health checks failed", "cold cache", "cache miss", "crash loop", "restart loop",
        ),
        ("cascade", "cascading"),
    ),
    Category(
        "process",
        "Process",
        "How people worked: runbooks, reviews, hand-offs, communication, manual steps.",
        (
            "process", "runbook", "communication", "handoff", "hand-off", "on-call", "review", "approval",
            "documentation", "training", "human error", "manual", "manually", "checklist", "procedure",
            "escalation", "war room", "operator error", "mistake",
        ),
        ("people", "human"),
    ),
)  # fmt: skip


def taxonomy_index(taxonomy: Sequence[Category]) -> dict[str, str]:
    """Every slug, name and alias (lower-cased) pointing to its slug."""
    index: dict[str, str] = {}
    for category in taxonomy:
        for key in (category.slug, category.name, *category.aliases):
            index.setdefault(key.strip().lower(), category.slug)
    return index


def normalise_category(value: str | None, taxonomy: Sequence[Category]) -> str | None:
    """The slug a stored category means (by slug, name or alias), or None when it names none of the taxonomy."""
    if not value:
        return None
    return taxonomy_index(taxonomy).get(value.strip().lower())


# ---------------------------------------------------------------- lexicon


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.lower().split()]
    # A keyword matches at a word start; one-word keywords also match their inflections (expire → expired).
    tail = r"\w{0,3}" if len(words) == 1 and len(phrase) > 3 else ""
    return re.compile(r"(?<!\w)" + r"[\s\-_/]+".join(words) + tail + r"(?!\w)")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled keyword patterns of a taxonomy."""

    patterns: tuple[tuple[str, tuple[tuple[str, re.Pattern[str]], ...]], ...]

    @classmethod
    def of(cls, taxonomy: Sequence[Category]) -> Lexicon:
        """Compile the keywords of every category."""
        return cls(
            tuple(
                (c.slug, tuple((k, _phrase_pattern(k)) for k in dict.fromkeys(c.keywords) if k.strip()))
                for c in taxonomy
            )
        )

    def hits(self, text: str) -> dict[str, dict[str, int]]:
        """For each category, how often each of its keywords occurs in the text."""
        lowered = text.lower()
        found: dict[str, dict[str, int]] = {}
        for slug, patterns in self.patterns:
            counts = {keyword: len(p.findall(lowered)) for keyword, p in patterns}
            found[slug] = {k: n for k, n in counts.items() if n}
        return found


def lexicon_score(hits: Mapping[str, int]) -> float:
    """How strongly keyword hits suggest a category: distinct keywords count most, repeats a little."""
    return sum(1.0 + math.log(n) for n in hits.values())


# ---------------------------------------------------------------- learned model

# Lexicon scores sit beside the unit-length word vector at a tenth of its scale: they nudge, the words carry the model.
LEXICON_WEIGHT = 0.1


def features(text: str, hits: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Sparse features of a text: its words (log counts) and, per category, its lexicon score."""
    counts: dict[str, int] = {}
    for token in tokenize(text):
        if token not in STOPWORDS and len(token) > 2 and not token.isdigit():
            counts[token] = counts.get(token, 0) + 1
    out: dict[str, float] = {f"w:{w}": 1.0 + math.log(n) for w, n in counts.items()}
    for slug, found in hits.items():
        if found:
            out[f"lex:{slug}"] = lexicon_score(found)
    return out


@dataclass
class CategoryModel:
    """A linear score per category (ridge regression on its 0/1 label) over tf-idf words and lexicon scores."""

    labels: tuple[str, ...]
    idf: dict[str, float] = field(default_factory=dict)
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    bias: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)

    def vector(self, raw: Mapping[str, float]) -> dict[str, float]:
        """Words weighted by idf at unit length (words unseen in training dropped), beside damped lexicon scores."""
        vec = {k: v * self.idf[k] for k, v in raw.items() if k in self.idf}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out = {k: v / norm for k, v in vec.items()}
        out.update({k: LEXICON_WEIGHT * math.log1p(v) for k, v in raw.items() if k.startswith("lex:")})
        return out

    def probability(self, vec: Mapping[str, float], label: str) -> float:
        """The model's estimate of P(label | features): its regression score, clipped to [0, 1]."""
        w = self.weights[label]
        return min(max(self.bias[label] + sum(v * w.get(k, 0.0) for k, v in vec.items()), 0.0), 1.0)


def _dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def _solve(matrix: list[list[float]], rhs: list[list[float]]) -> list[list[float]]:
    """X with matrix · X = rhs, for a symmetric positive definite matrix (Cholesky, then two triangular solves)."""
    n = len(matrix)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row = low[i]
        for j in range(i + 1):
            s = matrix[i][j] - sum(map(float.__mul__, row[:j], low[j][:j]))
            row[j] = math.sqrt(s) if i == j else s / low[j][j]
    width = len(rhs[0])
    out = [[0.0] * width for _ in range(n)]
    for c in range(width):
        y = [0.0] * n
        for i in range(n):
            y[i] = (rhs[i][c] - sum(map(float.__mul__, low[i][:i], y[:i]))) / low[i][i]
        for i in reversed(range(n)):
            y[i] = (y[i] - sum(low[k][i] * y[k] for k in range(i + 1, n))) / low[i][i]
            out[i][c] = y[i]
    return out


def fit_model(
    samples: Sequence[Mapping[str, float]],
    labels: Sequence[Iterable[str]],
    label_set: Sequence[str],
    *,
    alpha: float = 1.0,
    min_df: int = 2,
    max_df: float = 0.9,
) -> CategoryModel:
    """Fit a ridge regression of every category's 0/1 label on the features, solved once for all in its dual form.

    With fewer documents than words the n × n system (centred Gram matrix plus alpha) is the cheap one to solve,
    and plain Python does it in a fraction of a second for a few hundred post-mortems.
    """
    n = len(samples)
    df: dict[str, int] = {}
    for sample in samples:
        for key in sample:
            if key.startswith("w:"):
                df[key] = df.get(key, 0) + 1
    model = CategoryModel(labels=tuple(label_set))
    model.idf = {k: math.log((1 + n) / (1 + c)) + 1.0 for k, c in df.items() if min_df <= c <= max_df * n}
    vectors = [model.vector(sample) for sample in samples]
    gram = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            gram[i][j] = gram[j][i] = _dot(vectors[i], vectors[j])
    # Centring the Gram matrix centres the features: the intercept then needs no penalty and no extra column.
    row_means = [sum(row) / n for row in gram]
    grand = sum(row_means) / n
    centred = [
        [gram[i][j] - row_means[i] - row_means[j] + grand + (alpha if i == j else 0.0) for j in range(n)]
        for i in range(n)
    ]
    label_sets = [set(ls) for ls in labels]
    means = [sum(1.0 for ls in label_sets if label in ls) / n for label in label_set]
    targets = [[float(label in ls) - m for label, m in zip(label_set, means, strict=True)] for ls in label_sets]
    dual = _solve(centred, targets)
    centre: dict[str, float] = {}
    for vec in vectors:
        for k, v in vec.items():
            centre[k] = centre.get(k, 0.0) + v / n
    for c, label in enumerate(label_set):
        w: dict[str, float] = {}
        for vec, row in zip(vectors, dual, strict=True):
            for k, v in vec.items():
                w[k] = w.get(k, 0.0) + row[c] * v
        model.weights[label] = w
        model.bias[label] = means[c] - _dot(centre, w)
        model.thresholds[label] = 0.5
    return model


def _best_threshold(scores: Sequence[float], truth: Sequence[bool]) -> float:
    """The score cut that maximises F1 on held-out predictions (0.5 when there are no positives)."""
    positives = sum(truth)
    if not positives:
        return 0.5
    ranked = sorted(zip(scores, truth, strict=True), reverse=True)
    best, best_f1 = 0.5, -1.0
    tp = fp = 0
    for i, (score, positive) in enumerate(ranked):
        tp, fp = tp + positive, fp + (not positive)
        lower = ranked[i + 1][0] if i + 1 < len(ranked) else score
        if lower == score and i + 1 < len(ranked):
            continue  # a cut cannot split equal scores
        f1 = 2 * tp / (tp + fp + positives)
        if f1 > best_f1:
            best, best_f1 = (score + lower) / 2, f1
    return best


def fit_suggester(
    samples: Sequence[Mapping[str, float]],
    labels: Sequence[Iterable[str]],
    label_set: Sequence[str],
    *,
    inner_folds: int = 3,
) -> CategoryModel:
    """Fit the model, with each category's threshold chosen by F1 on inner cross-validated predictions."""
    label_lists = [set(ls) for ls in labels]
    n = len(samples)
    held_out: list[dict[str, float]] = [{} for _ in range(n)]
    if inner_folds > 1 and n >= 2 * inner_folds:
        for fold in range(inner_folds):
            train = [i for i in range(n) if i % inner_folds != fold]
            inner = fit_model([samples[i] for i in train], [label_lists[i] for i in train], label_set)
            for i in range(fold, n, inner_folds):
                vec = inner.vector(samples[i])
                held_out[i] = {label: inner.probability(vec, label) for label in label_set}
    model = fit_model(samples, label_lists, label_set)
    if inner_folds > 1 and n >= 2 * inner_folds:
        for label in label_set:
            model.thresholds[label] = _best_threshold([h[label] for h in held_out], [label in ls for ls in label_lists])
    return model


# ---------------------------------------------------------------- suggesting


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A category proposed for an incident, how sure, and the words of the text that point to it."""

    slug: str
    name: str
    score: float
    evidence: tuple[str, ...] = ()


def suggest_categories(
    text: str,
    taxonomy: Sequence[Category] = DEFAULT_TAXONOMY,
    *,
    model: CategoryModel | None = None,
    min_score: float = 2.0,
    limit: int = 4,
) -> list[Suggestion]:
    """Categories for a text, best first: lexicon hits, and the learned model's probability when there is one."""
    lexicon = Lexicon.of(taxonomy)
    hits = lexicon.hits(text)
    names = {c.slug: c.name for c in taxonomy}
    vec = model.vector(features(text, hits)) if model is not None else {}
    out: list[Suggestion] = []
    for category in taxonomy:
        found = hits.get(category.slug, {})
        evidence = tuple(sorted(found, key=lambda k: (-found[k], k))[:5])
        if model is not None and category.slug in model.weights:
            p = model.probability(vec, category.slug)
            if p >= model.thresholds.get(category.slug, 0.5):
                out.append(Suggestion(category.slug, names[category.slug], round(p, 3), evidence))
            continue
        score = lexicon_score(found)
        if score >= min_score:
            out.append(Suggestion(category.slug, names[category.slug], round(score / (score + 3.0), 3), evidence))
    out.sort(key=lambda s: (-s.score, s.slug))
    return out[:limit]
