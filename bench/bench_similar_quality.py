# ruff: noqa: E501
"""Ranking quality of `similar`: paraphrased queries, each describing one corpus post-mortem in other words.

Imports the 281 corpus post-mortems (dfds and icco) into a fresh database, asks `similar --text` for each
paraphrase and reports top-1 and top-3 hit rates and the mean reciprocal rank: plain BM25, and BM25 blended with
sentence embeddings when the `afteraction[semantic]` extra is installed.

Run: .venv/bin/python bench/bench_similar_quality.py [--pg postgresql+psycopg://…]
Target: every paraphrase's post-mortem in the top 3.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchlib import on_backends

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.insights import semantic
from afteraction.insights.similar import similar_incidents
from afteraction.usecases.documents import import_files

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "postmortems"
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]

# (title of the post-mortem, a description of it in other words)
PARAPHRASES: list[tuple[str, str]] = [
    ("CoreDNS upgrade issue",
     "after moving the managed cluster to a newer version the internal name resolution pods kept restarting"),
    ("Kubernetes network infrastructure IP starvation",
     "the subnets ran out of free addresses once we added more worker machines and the load balancer could not grow"),
    ("Inotify file watches exhaustion",
     "machines hit the kernel limit on watched files and containers could not start"),
    ("Log4Shell investigations", "a critical remote code execution hole in the Java logging library forced us to patch every app"),
    ("Hellman Kubernetes cluster node deletion", "worker machines of the production cluster were removed by mistake"),
    ("Linux kernel leap second deadlock crash on New Year's 2008-2009",
     "inserting an extra second at new year made the kernel lock up while it logged the event"),
    ("Datadog Infrastructure Connectivity Issue March 2023",
     "an automatic operating system update wiped the network policy rules on every cluster and cut connectivity for a day"),
    ("Foursquare MongoDB memory exhaustion outage",
     "the document database fell over when its data no longer fit in RAM because check-in reads had poor locality"),
    ("GitHub Actions and Pages impacted by scoped token INT32 overflow",
     "a 32-bit integer key on the token table reached its maximum and CI jobs and static sites started failing"),
    ("Amazon EC2 and EBS Issues in Tokyo (AP-NORTHEAST-1) on August 23, 2019",
     "the datacenter cooling control system stopped responding after a failover bug and servers overheated in Japan"),
    ("Amazon Kinesis US-EAST-1 outage November 2020",
     "adding capacity to the front-end fleet pushed every server over the operating system thread limit"),
    ("Swedish warship Vasa sinks on maiden voyage",
     "a seventeenth century ship capsized on its first trip because it was top-heavy and unstable"),
    ("Mars Pathfinder system resets due to priority inversion",
     "the spacecraft on another planet kept rebooting because a low priority task held a lock a high priority one needed"),
    ("Cloudflare outage on June 21, 2022",
     "withdrawing route announcements in the wrong order took nineteen points of presence offline"),
    ("ARPANET network-wide outage of October 1980",
     "a faulty router of the early network spread corrupted routing updates that every node accepted"),
    ("Zerodha Order Management System overload on August 29, 2019",
     "a huge order for an illiquid penny share split into a hundred thousand trades and brought down the broker's platform"),
    ("Incident.io intermittent database connection pool timeouts",
     "requests waited many seconds to get a connection from the Go sql pool, spread across many endpoints"),
    ("GitHub background job system degraded availability October 2020",
     "replacing coordination servers too quickly elected a second leader and a message broker joined the wrong cluster"),
    ("Global Google Cloud API outage due to Service Control null pointer exception",
     "a policy with empty fields crashed the API management control plane in code that no feature flag protected"),
    ("AWS Sydney Region EC2 and EBS power disruption",
     "severe storms cut electricity at an Australian facility and many virtual machines in one zone went dark"),
    ("Tarsnap outage 2016-07-24",
     "a cleanup batch job wrote its log to local disk until the disk was full and the backup service stopped"),
    ("Stackdriver Intelligent Monitoring application outage on October 23, 2013",
     "the Cassandra cluster crashed and the failure spread back through the message bus to the monitoring product"),
    ("Malicious packages reported in JCenter",
     "attackers published look-alike Java libraries to a public artifact repository and Android apps shipped malware"),
    ("NPM Fastly VCL misconfiguration outage on 2014-01-28",
     "an edge configuration change at the CDN sent package registry requests to the wrong backend"),
    ("Kubernetes ingress controller Traefik v2 configuration caused outage",
     "new settings on the cluster's edge router took every website down"),
    ("ADFS Outage", "the federated single sign-on service stopped, so nobody could log in"),
    ("Bad AWS EKS AMI", "a broken machine image for the managed cluster's nodes made workloads fail"),
    ("India NEW grid blackouts",
     "the northern power grid drew too much electricity from its neighbours, breakers tripped and millions lost power"),
    ("Unavailable Guilds & Connection Issues",
     "the cloud provider live-migrated the primary Redis node, it dropped out and chat servers became unavailable"),
    ("incident.io incident ID sequence jump",
     "after a database failover the per-customer ticket numbers skipped ahead by 32 because sequences pre-allocate values"),
    # Fifteen more, written later for post-mortems picked at random, before any ranking change was tried on them.
    ("Ariane 5 Flight 501 launch failure of June 1996",
     "the launcher veered off and blew up seconds after liftoff because a large floating point value did not fit the small integer the navigation code put it in"),
    ("Mars Climate Orbiter unit conversion failure",
     "the probe was lost on arrival because one team supplied thrust figures in pound-force and the other expected newtons"),
    ("Mandrill Postgres XID Wraparound Outage February 2019",
     "the email sending platform's relational database stopped accepting writes when its 32-bit transaction counter was about to wrap"),
    ("Travis CI GCE base image deletion",
     "a job that pruned old virtual machine templates by age removed the ones the builds relied on, and the CI platform stopped running jobs"),
    ("Google Cloud europe-west2 outage due to cooling system failure",
     "several redundant chillers failed at once in a London facility and cloud services in that zone went down"),
    ("Subversion SHA1 Collision Affects WebKit Repository",
     "committing two different PDFs with the same hash broke the version control server that deduplicates file contents"),
    ("Flowdock outage and cross-organization data leak",
     "the team chat product went down for a day when the pandemic sent everyone home, its database pegged the processors and one company's messages were shown to another"),
    ("KIAM service disruption due to upgrade",
     "a new release of the chart for the broker that hands pods their AWS credentials renamed a setting and workloads lost their cloud permissions"),
    ("1990 AT&T Long Distance Network Collapse",
     "a software fault made each telephone switch crash and restart as it received recovery messages from its neighbours, blocking long-distance calls for hours"),
    ("Stack Exchange SQL Server bugcheck outage January 2017",
     "the main relational database server hit a fatal low-level error and the Q&A sites first went read-only and then fully down"),
    ("Google Cloud GCVE deletion incident impacting UniSuper",
     "a private VMware cloud set up with a blank parameter got a one-year term, and the provider erased the pension fund's whole environment when it ended"),
    ("Logs not being shipped to CloudWatch",
     "after jumping several versions of our infrastructure modules the log forwarder on some nodes stopped sending to AWS's log service"),
    ("GitHub October 2018 Service Degradation due to MySQL Failover",
     "a brief network cut between east coast and west coast sites promoted a database primary on the other coast that was missing recent writes"),
    ("PythonAnywhere storage volume failure on 7 July 2020",
     "a failed disk array on one of the file hosts took the hosted Python sites offline and then more customer sites"),
    ("Alcide admission causing Kubernetes timeouts",
     "a policy-enforcement hook added to the cluster during a vendor training session made deployment creates and updates hang until they timed out"),
    # Ten more, for post-mortems picked at random after the synonyms were settled, and not tuned for afterwards.
    ("Heroku",
     "a distribution package update upstream broke the packages we had pinned and customers' apps could no longer write to device files"),
    ("Summary of the Amazon DynamoDB Service Disruption and Related Impacts in the US-East Region",
     "a short network blip overloaded the table membership service, storage hosts timed out and dropped out, and their retries kept it overloaded"),
    ("trivago",
     "during a repetitive manual cleanup someone deleted the directory group that granted access to the code hosting organisation, locking every engineer out"),
    ("Supermarket Intermittent Unresponsiveness",
     "the community cookbook site kept becoming unresponsive soon after launch because the probes that checked its servers gave up too quickly"),
    ("CrowdStrike Falcon Content Update Incident of July 2024",
     "a faulty content file pushed by an endpoint security agent read memory out of bounds and blue-screened millions of Windows PCs"),
    ("EVE Online: Trinity installer deletes boot.ini",
     "the setup program of an expansion for an online spaceship game removed a file players' computers needed to start, because of a naming clash"),
    ("Authentication Latency on DUO1 Deployment",
     "two-factor login requests piled up in a queue that the undersized database could not keep up with, slowing sign-ins for an hour"),
    ("AWS Lambda Service Event in Northern Virginia (US-EAST-1) Region on June 13th, 2023",
     "the serverless functions front end grew past a size never reached before and a latent defect left allocated sandboxes unused, so invocations failed"),
    ("Reddit outage and degraded performance on August 11, 2016",
     "a mistake while migrating a critical backend system took the link aggregation site offline for an hour and a half and slow for another"),
    ("Google logged-in services outage due to incorrect configuration",
     "an automatically generated bad setting took down mail, calendar and documents for signed-in users"),
]  # fmt: skip


def measure(db: Database, *, semantic_blend: bool) -> tuple[float, float, float, list[str]]:
    """Top-1 and top-3 hit rates, mean reciprocal rank (within the top 10) and the misses."""
    top1 = top3 = 0
    rr = 0.0
    misses = []
    for title, query in PARAPHRASES:
        hits = [h.title for h in similar_incidents(db, actor=SYSTEM, text=query, top=10, semantic=semantic_blend)]
        lowered = [h.lower() for h in hits]
        rank = lowered.index(title.lower()) + 1 if title.lower() in lowered else None
        top1 += rank == 1
        top3 += rank is not None and rank <= 3
        rr += 1.0 / rank if rank else 0.0
        if rank is None or rank > 3:
            misses.append(f"  rank {rank or '>10'}: {title}  <-  {query!r} (got {hits[:3]})")
    n = len(PARAPHRASES)
    return top1 / n, top3 / n, rr / n, misses


def run(label: str, url: str) -> None:
    db = Database(url)
    db.migrate()
    files = sorted(CORPUS.glob("dfds/PM20*")) + sorted(CORPUS.glob("icco/data/*.md"))
    import_files(db, paths=files, severities=SEVERITIES, actor=SYSTEM)
    modes = [("BM25", False)] + ([("BM25 + embeddings", True)] if semantic.available() else [])
    print(f"\n== {label}: {len(files)} post-mortems, {len(PARAPHRASES)} paraphrased queries")
    for name, blend in modes:
        top1, top3, mrr, misses = measure(db, semantic_blend=blend)
        print(f"{name:18} top-1 {top1:.0%}  top-3 {top3:.0%}  MRR {mrr:.3f}")
        for miss in misses:
            print(miss)
    if not semantic.available():
        print("(BM25 + embeddings: not measured, the semantic extra is not installed)")
    db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found: {CORPUS}")
        return 0
    on_backends(run, pg=args.pg, prefix="aa_quality")
    return 0


if __name__ == "__main__":
    sys.exit(main())
