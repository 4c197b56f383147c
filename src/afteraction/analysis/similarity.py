"""Similarity of post-mortems: query-term choice for BM25 search, score blending, cosine. Pure, no database."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+")

# Words that say nothing about an incident; BM25 would weigh them near zero anyway, but they widen the candidates.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who whom why will
    with would you your yours also however since were""".split()  # noqa: SIM905
)

K1 = 1.2
B = 0.75


def tokenize(text: str) -> list[str]:
    """The words of a text as SQLite's unicode61 tokenizer splits them, lower-cased."""
    return [token.lower() for token in _TOKEN.findall(text)]


def idf(df: int, n_docs: int) -> float:
    """BM25's inverse document frequency (the non-negative variant Lucene uses)."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def choose_query_terms(
    tf: Mapping[str, int],
    df: Mapping[str, int],
    n_docs: int,
    *,
    max_terms: int = 24,
    postings_budget: int = 4000,
) -> list[str]:
    """The query's most telling indexed terms, by tf·idf, within a budget of postings to score.

    Terms no document holds are left out; so are terms whose postings would push the total over the budget, which on a
    large history drops the commonest words (they weigh least in BM25) and keeps a search fast.
    """
    ranked = sorted(
        (term for term in tf if df.get(term, 0) > 0 and term not in STOPWORDS),
        key=lambda term: (-(1.0 + math.log(tf[term])) * idf(df[term], n_docs), term),
    )
    chosen: list[str] = []
    spent = 0
    for term in ranked:
        postings = df[term]
        if chosen and spent + postings > postings_budget:
            continue
        chosen.append(term)
        spent += postings
        if len(chosen) >= max_terms:
            break
    return chosen


def candidate_words(text: str, *, limit: int = 80) -> list[str]:
    """The distinct non-stopword words of a text, most frequent (then longest) first: what to look up."""
    counts: dict[str, int] = {}
    for token in tokenize(text):
        if token not in STOPWORDS and len(token) > 1 and not token.isdigit():
            counts[token] = counts.get(token, 0) + 1
    return sorted(counts, key=lambda word: (-counts[word], -len(word), word))[:limit]


# Groups of words and phrases that SRE write-ups use for the same thing. A short query (`similar --text`) that names
# one member also searches the one-word members of its group, so that "name resolution" finds a post-mortem about
# DNS and "machine image" one about an AMI. Phrases of several words only trigger; what is added is single words.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("dns", "coredns", "nameserver", "resolver", "name resolution", "domain name", "name server"),
    ("upgrade", "upgraded", "newer version", "version bump"),
    ("restart", "restarting", "reboot", "rebooting", "crashloop", "crashloopbackoff", "crash loop", "kept crashing"),
    ("configuration", "config", "misconfiguration", "settings"),
    ("ingress", "traefik", "nginx", "envoy", "haproxy", "edge router", "reverse proxy", "ingress controller"),
    ("cdn", "fastly", "akamai", "cloudfront", "varnish", "content delivery network", "edge cache"),
    ("registry", "npm", "pypi", "rubygems", "package registry", "package manager", "package repository"),
    ("sso", "saml", "adfs", "okta", "idp", "single sign-on", "single sign on", "identity provider", "federated login"),
    ("login", "authentication", "log in", "logon", "sign in", "signin", "authenticate"),
    ("vulnerability", "cve", "exploit", "rce", "security hole", "remote code execution", "zero-day"),
    ("ami", "image", "machine image", "vm image", "node image", "base image", "golden image"),
    ("eks", "gke", "aks", "managed kubernetes", "managed cluster"),
    ("kubernetes", "k8s"),
    ("pod", "pods", "container", "containers", "workload", "workloads"),
    ("node", "nodes", "worker machine", "worker node"),
    ("vm", "instance", "instances", "ec2", "virtual machine"),
    ("power", "electricity", "electrical", "blackout", "power outage", "power failure", "utility power"),
    ("storm", "storms", "weather", "lightning", "hurricane", "typhoon"),
    ("datacenter", "facility", "data center", "availability zone"),
    ("cooling", "chiller", "chillers", "overheating", "overheated", "temperature", "air conditioning", "hvac"),
    ("memory", "ram", "oom", "out of memory"),
    ("cpu", "processor", "processors"),
    ("certificate", "cert", "tls", "ssl", "x509"),
    ("expired", "expiry", "expiration", "lapsed"),
    ("database", "db", "sql", "postgres", "postgresql", "mysql", "relational database"),
    ("rollback", "revert", "reverted", "roll back", "rolled back"),
    ("deploy", "deployment", "rollout", "rolled out"),
    ("outage", "downtime", "unavailable", "offline", "unreachable", "went down", "went dark"),
    ("alert", "alarm", "paging", "pager"),
    ("timeout", "timeouts", "hang", "hung", "timed out", "time out", "deadline exceeded"),
    ("latency", "slow", "slowness", "sluggish"),
    ("queue", "kafka", "rabbitmq", "pubsub", "message broker", "message bus", "message queue"),
    ("cache", "caching", "redis", "memcached"),
    ("elb", "alb", "nlb", "load balancer", "loadbalancer"),
    ("leader", "primary", "master"),
    ("failover", "promoted", "promotion", "switchover", "fail over", "failed over"),
    ("replica", "replication", "secondary", "standby"),
    ("partition", "netsplit", "network partition", "split brain", "network cut"),
    ("ddos", "flood", "denial of service"),
    ("leak", "leaked", "exposed", "exposure", "disclosed", "data leak"),
    ("credentials", "secrets", "password", "passwords", "token", "tokens", "api key"),
    ("iam", "permissions", "rbac", "access control"),
    ("bgp", "prefixes", "route announcements", "route advertisements"),
    ("overflow", "wraparound", "int32", "wrap around", "integer limit", "maximum value", "32-bit"),
    ("leap", "leap second", "extra second"),
    ("throttling", "throttled", "quota", "rate limit", "rate limiting"),
    ("cron", "cronjob", "scheduled job", "batch job", "cleanup job"),
    ("kernel", "operating system"),
    ("malware", "malicious", "backdoor", "trojan"),
    ("ci", "jenkins", "continuous integration", "build pipeline"),
    ("chat", "messaging", "instant messaging"),
    ("email", "emails", "mail", "smtp"),
    ("git", "svn", "subversion", "repository", "version control"),
    ("hash", "sha1", "md5", "checksum", "sha-1"),
    ("deleted", "deletion", "removed", "erased", "wiped", "purged"),
    ("accidentally", "inadvertently", "unintended", "by mistake", "human error"),
    ("lock", "mutex", "deadlock", "locking"),
    ("rocket", "launcher", "launch vehicle"),
    ("spacecraft", "probe", "satellite", "orbiter"),
)


@lru_cache(maxsize=1)
def _synonym_patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """One pattern per group (any member, a final plural s allowed) and the one-word members it adds."""
    out = []
    for group in SYNONYMS:
        members = sorted(group, key=len, reverse=True)
        alternatives = "|".join(r"[\s\-]+".join(re.escape(w) for w in m.split()) for m in members)
        words = tuple(m for m in group if " " not in m and "-" not in m)
        out.append((re.compile(rf"(?<!\w)(?:{alternatives})s?(?!\w)"), words))
    return tuple(out)


def expand_query(text: str) -> str:
    """A short query with the one-word synonyms of the SRE terms it uses appended (words it has are not repeated)."""
    lowered = text.lower()
    present = set(tokenize(lowered))
    added: list[str] = []
    for pattern, words in _synonym_patterns():
        if pattern.search(lowered):
            added += [w for w in words if w not in present and w not in added]
    return f"{text}\n{' '.join(added)}" if added else text


@dataclass(frozen=True, slots=True)
class Scored:
    """An incident row id and its relevance (higher is more similar)."""

    incident_id: int
    score: float


def normalise(scores: Sequence[Scored]) -> dict[int, float]:
    """Scores scaled to 0..1 by the best one, so that scores of different kinds can be mixed."""
    best = max((s.score for s in scores), default=0.0)
    if best <= 0:
        return {s.incident_id: 0.0 for s in scores}
    return {s.incident_id: max(s.score, 0.0) / best for s in scores}


def blend(lexical: Sequence[Scored], semantic: Sequence[Scored], *, weight: float = 0.5) -> list[Scored]:
    """BM25 and embedding similarity mixed as (1 − weight)·lexical + weight·semantic, both scaled to 0..1."""
    lex = normalise(lexical)
    sem = normalise(semantic)
    ids = dict.fromkeys([*lex, *sem])
    mixed = [Scored(i, (1.0 - weight) * lex.get(i, 0.0) + weight * sem.get(i, 0.0)) for i in ids]
    return sorted(mixed, key=lambda s: (-s.score, s.incident_id))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors (0 when either is zero)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def top_k(scores: Iterable[Scored], k: int) -> list[Scored]:
    """The k best, ties broken by the older incident first."""
    return sorted(scores, key=lambda s: (-s.score, s.incident_id))[:k]
