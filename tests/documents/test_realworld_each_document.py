"""Issue #17, "Done when": each real document of ../shared/corpus/realworld/docs comes through as a reader of it would
expect: how many timeline rows it states and how many of them carry a time, its lessons by kind, its action items,
its start and end, and a few exact times with the start of their text (all UTC). The figures were checked against the
documents by hand: the zone each states ("All times in PST", "CEST (UTC+2)"), dates taken from the line or heading
above, "ca. 11:20", "19. April, 11:00". The nine templates state nothing and read as nothing (or as their placeholders).
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from afteraction.documents.parse import parse_file
from tests.conftest import corpus_path


class Doc(NamedTuple):
    timed: int  # timeline rows with a time
    rows: int  # timeline rows
    lessons: tuple[int, int, int, int]  # went well, went wrong, lucky, learned
    actions: int
    started: str | None  # YYYY-MM-DD HH:MM UTC
    resolved: str | None
    times: list[tuple[str, str]]  # (time, how its text starts) of the first, a middle and the last timed row


DOCUMENTS = {
    "dastergon-postmortem-template-azure.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
    "dastergon-postmortem-template-elastic.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
    "dastergon-postmortem-template-google-api-infra.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
    "dastergon-postmortem-template-michael.kehoe.md": Doc(0, 3, (0, 0, 0, 0), 0, None, None, []),
    "dastergon-postmortem-template-real-world-sre.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
    "dastergon-postmortem-template-srebook.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
    "dastergon-postmortem-template-thecloudbook.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
    "k8s-test-infra-2019-01-23.md": Doc(
        11,
        11,
        (1, 8, 1, 0),
        2,
        "2019-01-22 22:54",
        "2019-01-23 16:36",
        [
            ("2019-01-22 22:54", "[config behavior"),
            ("2019-01-23 16:02", "@stevekuznetsov "),
            ("2019-01-23 16:36", "kubernetes-dev m"),
        ],
    ),
    "k8s-test-infra-2019-02-05.md": Doc(
        12,
        12,
        (2, 4, 2, 0),
        1,
        "2019-02-05 16:47",
        "2019-02-05 17:34",
        [
            ("2019-02-05 16:47", "Prow's auto-gene"),
            ("2019-02-05 17:29", "@Katharine manua"),
            ("2019-02-05 22:31", "@Katharine deter"),
        ],
    ),
    "k8s-test-infra-2019-02-08.md": Doc(
        13,
        13,
        (1, 3, 1, 0),
        1,
        "2019-02-08 21:20",
        "2019-02-09 02:09",
        [
            ("2019-02-08 21:20", "Prow's auto-gene"),
            ("2019-02-09 00:44", "@krzyzacy figure"),
            ("2019-02-09 02:09", "@krzyzacy notifi"),
        ],
    ),
    "k8s-test-infra-2019-03-26.md": Doc(
        10,
        10,
        (1, 5, 1, 0),
        3,
        "2018-12-05 23:21",
        "2019-03-26 15:10",
        [
            ("2018-12-05 23:21", "Crashloop bug pr"),
            ("2019-03-26 12:16", "The outage is re"),
            ("2019-03-26 15:10", "@Katharine succe"),
        ],
    ),
    "k8s-test-infra-2019-05-30.md": Doc(
        10,
        11,
        (1, 4, 1, 0),
        2,
        "2019-05-30 20:26",
        "2019-05-31 14:00",
        [
            ("2019-05-30 20:26", "@cblecker report"),
            ("2019-05-30 22:14", "Additional disk "),
            ("2019-05-31 14:00", "Prow is once aga"),
        ],
    ),
    "mybinder-2017-09-27-hub-403.md": Doc(
        6,
        6,
        (0, 0, 0, 0),
        5,
        "2017-09-27 20:06",
        "2017-09-27 22:25",
        [
            ("2017-09-27 20:06", "A lot of changes"),
            ("2017-09-27 21:08", "Digging into log"),
            ("2017-09-27 22:25", "The PR has been "),
        ],
    ),
    "mybinder-2017-09-29-504.md": Doc(
        3,
        3,
        (0, 0, 0, 0),
        7,
        "2017-09-29 06:59",
        "2017-09-29 12:10",
        [
            ("2017-09-29 06:59", "https://github.c"),
            ("2017-09-29 12:00", "while investigat"),
            ("2017-09-29 12:10", "hub pod is relau"),
        ],
    ),
    "mybinder-2017-10-17-cluster-full.md": Doc(
        9,
        9,
        (0, 0, 0, 0),
        4,
        "2017-10-17 14:42",
        "2017-10-17 18:29",
        [
            ("2017-10-17 14:42", "Users report all"),
            ("2017-10-17 16:49", "GitHub is usable"),
            ("2017-10-17 18:29", "The [cluster aut"),
        ],
    ),
    "mybinder-2017-11-30-oom-proxy.md": Doc(
        11,
        11,
        (0, 0, 0, 0),
        4,
        "2017-12-01 00:22",
        "2017-12-01 01:21",
        [
            ("2017-12-01 00:22", "Node runs out of"),
            ("2017-12-01 01:09", "jupyterhub pod s"),
            ("2017-12-01 01:21", "Service is resto"),
        ],
    ),
    "mybinder-2018-01-04-failed-staging-deploy.md": Doc(
        8,
        8,
        (0, 0, 0, 0),
        7,
        "2018-01-04 15:33",
        "2018-01-04 19:31",
        [
            ("2018-01-04 15:33", "Reviewed and mer"),
            ("2018-01-04 16:27", "Response posted "),
            ("2018-01-04 19:31", "Deployed to Prod"),
        ],
    ),
    "mybinder-2018-01-17-ubuntu-upgrade.md": Doc(
        4,
        6,
        (0, 0, 0, 0),
        6,
        "2018-01-18 01:14",
        "2018-01-18 03:00",
        [
            ("2018-01-18 01:14", "- Other travis f"),
            ("2018-01-18 02:57", "Bump to artful, "),
            ("2018-01-18 03:00", "Tweet + Email li"),
        ],
    ),
    "mybinder-2018-01-18-reddit-hug.md": Doc(
        25,
        25,
        (0, 0, 0, 0),
        6,
        "2018-01-18 12:19",
        "2018-01-18 17:14",
        [
            ("2018-01-18 12:19", "First noticed so"),
            ("2018-01-18 16:04", "Tim signs off, C"),
            ("2018-01-18 17:14", "After testing se"),
        ],
    ),
    "mybinder-2018-01-18-ssl-outdated.md": Doc(
        2,
        4,
        (0, 0, 0, 0),
        3,
        "2018-01-11 00:00",
        "2018-01-19 19:00",
        [("2018-01-19 19:00", "We received anot"), ("2018-01-19 19:00", "A team member no")],
    ),
    "mybinder-2018-02-12-launch-fail.md": Doc(
        4,
        4,
        (1, 1, 1, 0),
        3,
        "2018-02-12 22:03",
        "2018-02-12 22:09",
        [
            ("2018-02-12 22:03", "We realized that"),
            ("2018-02-12 22:08", "We delete the `b"),
            ("2018-02-12 22:09", "Two people confi"),
        ],
    ),
    "mybinder-2018-02-20-jupyterlab-announcement.md": Doc(
        35,
        35,
        (0, 0, 0, 0),
        21,
        "2018-02-20 13:17",
        "2018-02-20 21:52",
        [
            ("2018-02-20 13:17", "JupyterLab annou"),
            ("2018-02-20 17:10", "Travis deploymen"),
            ("2018-02-20 21:52", "(maybe earlier?)"),
        ],
    ),
    "mybinder-2018-02-22-nginx-down.md": Doc(
        4,
        4,
        (1, 1, 1, 0),
        2,
        "2018-02-23 00:30",
        "2018-02-23 00:35",
        [
            ("2018-02-23 00:30", "Stackdriver send"),
            ("2018-02-23 00:33", "Deleted the ingr"),
            ("2018-02-23 00:35", "Confirm that the"),
        ],
    ),
    "mybinder-2018-03-13-PVC-hub-locked.md": Doc(
        11,
        11,
        (1, 1, 0, 0),
        6,
        "2018-03-13 06:28",
        "2018-03-21 05:31",
        [
            ("2018-03-13 06:28", "Problem is ident"),
            ("2018-03-13 07:11", "General cleanup "),
            ("2018-03-21 05:31", "Run:\n\n- `kubectl"),
        ],
    ),
    "mybinder-2018-03-26-no-space-left.md": Doc(
        3,
        3,
        (3, 1, 0, 0),
        6,
        "2018-03-26 08:34",
        "2018-03-26 13:00",
        [
            ("2018-03-26 08:34", "Launch success m"),
            ("2018-03-26 08:55", "Cluster self-hea"),
            ("2018-03-26 13:00", "Dip in log succe"),
        ],
    ),
    "mybinder-2018-03-31-server-start-fail.md": Doc(
        4,
        4,
        (1, 3, 0, 0),
        4,
        "2018-03-31 22:47",
        "2018-04-01 00:30",
        [
            ("2018-03-31 22:47", "Problem is ident"),
            ("2018-04-01 00:21", "- Decided to inc"),
            ("2018-04-01 00:30", "- New nodes are "),
        ],
    ),
    "mybinder-2018-04-18-cull-flood.md": Doc(
        15,
        15,
        (0, 0, 0, 6),
        7,
        "2018-04-18 10:35",
        "2018-04-19 09:58",
        [
            ("2018-04-18 10:35", "Upgrade of jupyt"),
            ("2018-04-18 15:03", "Believing the is"),
            ("2018-04-19 09:58", "On investigation"),
        ],
    ),
    "mybinder-2018-07-08-podsnips-aplenty.md": Doc(
        5,
        5,
        (5, 4, 0, 0),
        7,
        "2018-07-08 16:30",
        "2018-07-09 08:00",
        [
            ("2018-07-08 16:30", "Launch success d"),
            ("2018-07-08 21:25", "Investigation la"),
            ("2018-07-09 08:00", "Investigating hu"),
        ],
    ),
    "mybinder-2018-07-30-jupyterlab-build-cpu-saturate.md": Doc(
        9,
        9,
        (1, 1, 0, 0),
        3,
        "2018-07-30 18:20",
        "2018-07-30 22:11",
        [
            ("2018-07-30 18:20", "[Gitter Link](ht"),
            ("2018-07-30 20:41", "Deleted several "),
            ("2018-07-30 22:11", "`jupyterlab-demo"),
        ],
    ),
    "mybinder-template-incident-report.md": Doc(0, 0, (3, 3, 2, 0), 6, None, None, []),
    "pagerduty-template.md": Doc(0, 0, (0, 0, 0, 0), 0, None, None, []),
}


def _minute(value: object) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else None  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_real_document_reads_as_written(name: str) -> None:
    expected = DOCUMENTS[name]
    doc = parse_file(corpus_path("realworld", "docs", name))
    timed = [entry for entry in doc.timeline if entry.at is not None]
    assert (len(timed), len(doc.timeline)) == (expected.timed, expected.rows)
    assert tuple(len(doc.lessons_of(kind)) for kind in ("went-well", "went-wrong", "lucky", "learned")) == (
        expected.lessons
    )
    assert len(doc.actions) == expected.actions
    assert (_minute(doc.started_at), _minute(doc.resolved_at)) == (expected.started, expected.resolved)
    picked = sorted({0, len(timed) // 2, len(timed) - 1}) if timed else []
    assert [
        (_minute(timed[i].at), timed[i].text[: len(text)]) for i, (_, text) in zip(picked, expected.times, strict=True)
    ] == (expected.times)


def test_every_real_document_has_a_row_here() -> None:
    assert sorted(path.name for path in corpus_path("realworld", "docs").glob("*.md")) == sorted(DOCUMENTS)
