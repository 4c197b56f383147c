"""Blame rules: find where a sentence makes a person the cause, names human error, judges people, or uses hindsight.

The rules read sentence structure rather than word lists alone: a person (a name, a role, a team, a pronoun) must
be the subject of a failure ("Dave forgot", "the on-call engineer did not check") or the object of a cause phrase
("caused by the operator"), so that people acting in a timeline ("Dave rolled back the release") and systems failing
("the deploy tool failed to") pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from afteraction.analysis.lint.names import FIRST_NAMES, NOT_PEOPLE, SENTENCE_WORDS, TOOLS, words

PERSON_AS_CAUSE = "blame/person-as-cause"
HUMAN_ERROR = "blame/human-error"
JUDGMENT = "blame/judgment"
HINDSIGHT = "blame/hindsight"

SUGGESTIONS: dict[str, str] = {
    PERSON_AS_CAUSE: "Make the system the subject: say which condition let this happen and what would have caught it "
    "(e.g. 'the certificate had no expiry alert' instead of 'Dave forgot to renew the certificate').",
    HUMAN_ERROR: "Treat human error as the start of the analysis, not its end: name what in the tools, process or "
    "context made the slip likely, and what would catch it next time.",
    JUDGMENT: "Describe what people did and the information and pressures they had at the time, without judging "
    "their care, effort or competence.",
    HINDSIGHT: "Describe what happened and what was known at the time; turn the missing safeguard into an action "
    "item instead of a counterfactual.",
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One blame finding in a sentence: the rule, the character span of the phrase, and a short message."""

    rule: str
    start: int
    end: int
    message: str


class _Tok:
    __slots__ = ("end", "low", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.low = text.lower()
        self.start = start
        self.end = end


_TOKEN = re.compile(r"[^\W_](?:[\w]|['’\-.](?=[^\W_]))*(?:['’](?:s\b)?)?|[,;:()!?\"—–]")
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")
_CAPITALISED = re.compile(r"\b[A-Z][\w]*")

_ROLES = words(
    """
    engineer engineers operator operators developer developers dev devs dba dbas intern interns contractor contractors
    sre sres admin admins administrator administrators sysadmin sysadmins on-call oncall responder responders team
    teams squad staff employee employees person someone somebody nobody no-one everyone everybody anyone anybody
    manager managers commander reviewer reviewers author approver approvers ops devops qa colleague colleagues
    member members lead architect architects analyst analysts tester testers programmer programmers technician
    technicians coworker coworkers co-worker teammate teammates human humans agent agents
    """
)
# Role words that also name software ("the Prometheus operator", "the cluster manager").
_AMBIGUOUS_ROLES = frozenset(
    {"operator", "operators", "manager", "managers", "admin", "admins", "lead", "agent", "agents"}
)
_TECH_MODIFIERS = words(
    """
    cluster package secrets secret node certificate cert window task process connection resource config configuration
    session state lock memory entity device volume service traffic api key password kubernetes k8s prometheus kafka
    database postgres mysql redis helm flux argo storage network dns load ingress job queue workflow deployment
    monitoring build ci telemetry ssm logging metrics backup sync proxy user
    """
)
_PRONOUNS = frozenset(
    {"he", "she", "we", "i", "someone", "somebody", "nobody", "no-one", "everyone", "anyone", "whoever"}
)
_SHIFTS = frozenset({"night", "day", "morning", "evening", "late", "early", "weekend", "on-call"})
_DETERMINERS = words(
    """
    the a an our their his her my your this that these those one another some two three several each every any its
    both all either
    """
)
_GAP = words(
    """
    also then accidentally mistakenly simply just apparently unfortunately later subsequently initially again
    completely totally clearly obviously still had has have already themselves himself herself reportedly allegedly
    probably likely inadvertently unintentionally unknowingly repeatedly entirely partially partly first quickly
    somehow instead ultimately eventually both all
    """
)
_CLAUSE_WORDS = words("because when while after before since so but although though if until once whereas as")
_CONJUNCTIONS = frozenset({"and", "but", "&"})
# Prepositions that make a person a modifier of the subject ("pressure on the team"); "by" marks the agent.
_PREPOSITIONS = words(
    """
    on for of from to with at in into onto upon among amongst within across about towards toward around between
    against behind beside under over without
    """
)
_STOP = words(
    """
    in on at of for with from during after before when who whom whose that which and or but because since as to into
    by was were is are be been being had has have having not did does do could would should will can may might must
    while then than so if until without about over under through across via per against
    """
)
_NOUN_ING = words(
    """
    onboarding training tooling staffing paging routing scheduling logging monitoring alerting testing building
    setting settings handling offboarding rotation meeting meetings thing things spring string ring ceiling
    """
)
_IRREGULAR_PAST = words(
    """
    ran took broke made went did was were had got put set sent kept held led left lost chose drove wrote thought
    caught brought bought built read said saw knew told began forgot overlooked
    """
)
_PARTICIPLES = words(
    """
    been known done caught made found thought brought built sent spent kept held led left lost met paid put read
    run said set shut sold stood stuck taught told understood won got gotten heard hit cut let meant felt dealt
    seen taken given written broken forgotten chosen driven spoken shown thrown grown drawn begun gone fallen
    hidden proven woken become rolled spotted spread hurt cost shed quit burst cast
    """
)
_FUNCTION_AFTER = words(
    """
    the a an this that it them him her us me these those our their his its my your to in on at for with by from of
    up down back out off over before after earlier sooner later when if and or but so as than much more less far way
    all any some no there here immediately automatically instead better worse differently this
    """
)
_MISTAKES = words(
    """
    mistake mistakes error errors oversight oversights fault negligence carelessness blunder blunders slip slips
    lapse lapses misconfiguration typo typos screw-up screwup fat-finger
    """
)
_ARTIFACTS = words(
    """
    change changes commit commits push deploy deployment pr merge script command query code edit edits decision
    choice action actions hotfix patch
    """
)

_STRONG = re.compile(
    r"\b(?:forgot|forgotten|forgets|neglected|neglects|overlooked|overlooks|fat[- ]?fingered|botched|messed up|"
    r"screwed up|made (?:a|an|the|another|one|two|several|multiple|some|a few)(?: \w+)? "
    r"(?:mistake|error|typo|blunder|slip)s?)\b"
)
# "We did not notice any data loss" reports that there was nothing, not an omission ("any of the alerts" is one).
_NOTHING_TO_FIND = r"(?! any (?!of\b))"
_FAIL_VERB = (
    r"(?:double[- ]?check|check|test|verif|validat|follow|notic|escalat|read|review|confirm|updat|renew|monitor|"
    r"realis|realiz|communicat|inform|notif|ask|wait|look|run|ran|back(?:ed)? up|document|remov|rotat|drain|"
    r"report|respond|react|appl|take|took|think|thought|consider|catch|caught|spot|investigat|tell|told|warn|"
    r"coordinat|revert|roll(?:ed)? back|clean(?:ed)? up|plan|prepar|flag|rais)\w*\b" + _NOTHING_TO_FIND
)
_WEAK = re.compile(
    r"\b(?:failed to|fails to|(?:did not|didn't|never|had not|hadn't|has not|hasn't|have not|haven't|chose not to|"
    r"decided not to|omitted to) (?:even |properly |actually |bother to )?" + _FAIL_VERB + r"|"
    r"missed(?! (?:(?:our|the|its|their|an?|this|that) )?(?:\w+ )?(?:slos?|slas?|objectives?|targets?|error budgets?|"
    r"nothing)\b)|skipped|ignored|misconfigured|mishandled|misjudged|misread|mistyped|caused|"
    r"broke(?!(?: [\w-]+){0,3} (?:into|down|up|apart)\b| (?:the |a |that |this )?(?:[\w-]+ )?(?:dependency|"
    r"dependencies|link|connection|cycle|loop|deadlock|tie|chain|news|silence|record|ground)\b)|"
    r"(?:introduced|triggered|shipped|pushed|merged|deployed) (?:(?:a|an|the|this|that) )?(?:[\w-]+ ){0,2}"
    r"(?:bug|regression|outage|incident|defect|failure|problem|issue|breakage)s?|"
    r"(?:took|brought|knocked) (?:(?:[\w-]+ ){1,4})?(?:down|out|over)\b|"
    r"(?:led|leads) to (?:(?:a|an|the|this|that) )?(?:[\w-]+ ){0,2}(?:outage|incident|failure|downtime|data loss|"
    r"breakage|regression|error|problem)s?\b|"
    r"made (?:the|this|that|it|things|matters)(?: \w+)? worse|"
    # a judgment of a person's effort is also that person presented as the cause when they are its subject
    r"dropped the ball|slept through|(?:took|takes|taking) shortcuts|cut corners|"
    r"should(?:n't| not)? have known better|"
    r"(?:(?:was|were) not|wasn't|weren't) paying (?:any |much |enough )?attention|"
    r"(?:was|were|is|are) (?:solely |entirely |fully |directly |partly |partially |ultimately )?"
    r"(?:to blame|at fault|the (?:root )?cause|the culprit|responsible for (?:(?:the|this|that|an?) )?(?:\w+ )?"
    r"(?:outage|incident|failure|error|bug|mistake|problem|downtime|issue|data loss|breakage|regression)s?)\b)"
)
# Omissions only people make: with these, "they" and an unknown capitalised subject are people too.
_HUMAN_OMISSION = re.compile(
    r"\b(?:did not|didn't|never|had not|hadn't|has not|hasn't|have not|haven't) (?:even |properly |actually )?"
    r"(?:test|verif|read|review|notic|escalat|consider|realis|realiz|communicat|ask|think|thought|double[- ]?check|"
    r"follow)\w*\b" + _NOTHING_TO_FIND
)
_WRONG = re.compile(r"\b([a-z]+) (?:the|a) wrong\b")
_ACCIDENTAL = re.compile(
    r"\b(?:accidentally|mistakenly|inadvertently|unintentionally|wrongly|erroneously|incorrectly|unknowingly)\b"
)
_BY_MISTAKE = re.compile(r"\bby (?:mistake|accident)\b")
# "… failed because/as Dave …"; after "began" or "started", "as" tells the time ("began as we dove into the logs")
_BAD_OUTCOME_BECAUSE = re.compile(
    r"\b(?:(?:happened|occurred|started|began)\b[^.;]*?\b(?:because|since)|"
    r"(?:broke|failed|went (?:down|wrong)|was (?:delayed|prolonged)|got worse|escalated)\b[^.;]*?"
    r"\b(?:because|since|as))\b"
)
_PASSIVE = re.compile(
    r"\b(?:was|were|been|being|got) (?:not |never )?(?:\w+ly )?(?:missed|ignored|overlooked|forgotten|skipped|"
    r"neglected|mishandled|misconfigured|botched|broken|introduced|caused|not \w+ed) by\b"
)
_CAUSE = re.compile(
    r"\b(?:caused by|due to|because of|as a result of|the result of|"
    r"(?:blame|fault|responsibility for (?:(?:the|this|that) )?(?:[\w-]+ )?(?:outage|incident|failure|downtime|"
    r"data loss|breakage|error|mistake)s?) (?:lies|lay|rests|rested|falls|fell|is|was) "
    r"(?:with|on)|blamed on|blame on|attributed to|attributable to|ascribed to|fault of|"
    r"(?:mistake|error|oversight|typo|blunder|slip|lapse|"
    r"negligence|carelessness)s? (?:was |were )?(?:made |committed )?(?:by|on the part of)|on the part of|"
    r"stemmed from|stems from|came down to|comes down to|boils down to|boiled down to|traced (?:back )?to|"
    r"introduced by|triggered by|broken by|"
    r"root cause (?:is|was|:)|root cause of (?:the|this) (?:\w+ )?(?:is|was)|the culprit (?:is|was)|culprit:)"
)
_POSSESSED_MISTAKE = re.compile(
    r"([^\W_][\w-]*(?:['’]s|s['’])) (?:[\w-]+ ){0,2}?(?:mistake|error|oversight|fault|negligence|carelessness|"
    r"blunder|slip|lapse|misconfiguration|typo|screw-up|screwup|failure to|judge?ment|negligence)\b"
)
_POSSESSED_ARTIFACT = re.compile(
    r"([^\W_][\w-]*(?:['’]s|s['’])) (?:[\w-]+ ){0,2}?(?:change|commit|push|deploy|deployment|pr|pull request|merge|"
    r"script|command|query|code|edit|decision|choice|action|hotfix|patch)s? (?:[\w-]+ ){0,3}?(?:caused|broke|"
    r"triggered|took down|brought down|led to|resulted in|introduced|knocked out|corrupted|wiped|"
    r"(?:is|was) the (?:root )?cause)\b"
)
_NOBODY = re.compile(
    r"\b(?:nobody|no one|no-one) (?!(?:was|were|had|has|is|are|could|would|can|will|knew|expected|needed|noticed any)"
    r"\b)(?:[a-z]+ed|looked|saw|read|ran|took|thought|caught|knew|did|made|bothered|spotted|noticed)\b"
)
_WITHOUT = re.compile(
    r"\bwithout (?:first |even |properly |actually |any )?(?:checking|testing|verifying|validating|reading|reviewing|"
    r"running|asking|consulting|confirming|double[- ]?checking|looking|waiting|taking a backup|taking backups|"
    r"backing up|telling|notifying|informing|warning|approval|a review|review|a backup|tests|peer review)\b"
)
_HUMAN_ERROR = re.compile(
    r"\b(?:human|operator|user|pilot|personnel|engineer|engineering|manual) (?:error|mistake|failure|slip)(s?)\b|"
    r"\blapses? (?:in|of) (?:judge?ment|attention|concentration)\b|\b(?:bad|poor|an error of) judge?ment\b|"
    r"\bpebkac\b|\blayer[- ]8 (?:issue|problem|error)\b|"
    r"\bfat[- ]finger(?:ed|ing)? (?:error|mistake)s?\b"
)
_HUMAN_ERROR_EXCUSE = words(
    """
    not never no than instead beyond reduce reduces reduced reducing prevent prevents preventing prevented minimise
    minimize minimises minimizes minimising minimizing avoid avoids avoiding eliminate eliminates eliminating less
    chance risk likelihood prone against guard guards mitigate mitigates mitigating fewer cut assumed assuming
    suspected suspecting ruled
    """
)
# "… bugs, traffic spikes, hardware failures, natural disasters, to/or/and human error": an item of a list of causes
_LISTED_CAUSE = re.compile(r"(?:[^,.;:]+,){2,}[^,.;:]*\b(?:or|and|to|including)\s+$|(?:[^,.;:]+,){3,}\s*$")
_COMPOUND_AFTER = re.compile(
    r"^\s*(?:\(\s*(?:\d|[1-5]xx)|rates?\b|counts?\b|codes?\b|messages?\b|pages?\b|budgets?\b|ratios?\b|"
    r"responses?\b|logs?\b|handling\b|metrics?\b|4xx|5xx)"
)
_NEGATED = r"(?:\b(?:not|never|nobody|no one|without)|n't)"
_JUDGMENT = re.compile(
    r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|slopp(?:y|ily|iness)|"
    r"lazy(?![- ](?:load|loading|loaded|evaluation|eval|init|initiali[sz]ation|import|iterator|sequence))|laziness|"
    r"lazily|incompeten(?:t|ce|cy)|reckless(?:ly|ness)?|irresponsib(?:le|ly|ility)|inexcusabl[ey]|unprofessional|"
    r"complacen(?:t|cy|ce)|inattenti(?:ve|on)|stupid(?:ity)?|foolish(?:ly|ness)?|clueless|idiot(?:ic)?|boneheaded|"
    r"(?:silly|rookie|dumb) (?:mistake|error)s?|cut(?:ting)? corners|cowboy|asleep at the wheel|dropped the ball|"
    r"(?:took|takes|taking) shortcuts|slept through|(?:bad|poor|questionable|reckless) decisions?|"
    r"bothered to|(?:lack|lacked|lacking) of (?:attention|care|diligence|discipline|rigou?r|ownership|effort|"
    r"professionalism)|(?:bad|poor|questionable) judge?ment|hast(?:y|ily)|without (?:any |much |enough )?care|"
    r"should(?:n't| not)? have known better|ought to have known better|not careful enough|rushed|"
    r"rushing)\b|"
    + _NEGATED
    + r" (?:even )?bother(?:ed)?\b|"
    + _NEGATED
    + r" (?:really |even )?(?:be )?pay(?:ing)? (?:any |much |enough |close )?attention\b|"
    + _NEGATED
    + r" (?:very |more |being )?careful\b|"
    + _NEGATED
    + r" (?:even |really )?care(?:d)? (?:about|for|enough)\b"
)
_TECH_LAZILY = re.compile(
    r"^\s*(?:load|loaded|populated|initiali[sz]ed|evaluated|computed|created|fetched|instantiated|bound|resolved|"
    r"imported|allocated|built|started|compiled)\b"
)
_TECH_BEFORE_LAZILY = re.compile(
    r"(?:load|loaded|populated|initiali[sz]ed|evaluated|computed|created|fetched|instantiated|bound|resolved|"
    r"imported|allocated|built|started|compiled|is|are)\s+$"
)
_SCHEDULE_AFTER = re.compile(
    r"^\s*(?:[\w-]+\s+)?(?:schedules?|timelines?|deadlines?|time ?frames?|plans?|roadmaps?|calendar)\b|^\s*to\b"
)
_MODAL = re.compile(r"\b(should|could|ought to|would|might|may)(n't| not| never)? have ([a-z]+)(?: ([a-z]+))?")
_CONDITIONAL = re.compile(r"\b(?:if|had|unless|without|otherwise|but for|with (?:better|more|a|an|proper))\b")
_IF_ONLY = re.compile(r"\bif only\b|^\s*had (?:we|they|he|she|i|the \w+|\w+) (?:not |never )?(?:[a-z]+ed|been|known)\b")
# "could have been" is a counterfactual only with a remedy or a comparison after it; "could have been exposed"
# and "could have been a sign" say what was possible, not what should have happened.
_REMEDIES = words(
    """
    avoided prevented caught detected restored mitigated fixed stopped found identified noticed resolved handled
    reduced limited contained averted spotted addressed done shortened recovered rolled reverted worse better faster
    sooner earlier quicker shorter smaller
    """
)
_REMEDY_VERBS = _REMEDIES | words("allowed enabled helped saved isolated")
_FINE = words("fine ok okay avoidable preventable")
_NOT_KNOWABLE = re.compile(r"(?:known|predicted|foreseen|anticipated|expected)$")
# "should have resulted in a brief outage": what the design expected of a system, not what someone should have done.
_EXPECTED = words("resulted existed mattered worked meant lasted happened occurred applied")
# "may have contributed", "might have played a part": a hedged cause, not a counterfactual.
_HEDGED = words("contributed played caused been helped reduced affected made")
# "Reflect if the teams should have been told": a question for the review, not a counterfactual asserted.
_QUESTION = re.compile(
    r"\b(?:whether|(?:reflect|consider|discuss|ask|evaluate|decide)(?: on)? (?:if|whether))\b[^.;]*$"
)
# "things that could have gone better" names what went wrong; it is no counterfactual.
# "something could have gone wrong with the master's ssh access" says what was possible, not what should have been.
_WENT = re.compile(r"^\s*(?:better|worse|smoother|more smoothly|well|differently|wrong|awry)\b")
# "It should not have been possible for one user to upload that many": what the system allowed, not a person's act.
_SYSTEM_ALLOWED = words("possible allowed permitted able")
# "there are no items in the backlog that could have prevented this": nothing could have; no counterfactual.
_NONE_THAT = re.compile(r"\bno\s+(?:[\w-]+\s+){0,6}(?:that|which)\s+$")
# Words that must occur for a family of patterns to be worth running: most sentences have none of them.
_WORDS = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_HUMAN_ERROR_WORDS = words(
    "error errors mistake mistakes failure failures slip slips lapse lapses pebkac judgment judgement"
)
_JUDGMENT_WORDS = words(
    """
    careless carelessly carelessness negligent negligently negligence sloppy sloppily sloppiness lazy laziness lazily
    incompetent incompetence incompetency reckless recklessly recklessness irresponsible irresponsibly
    irresponsibility inexcusable inexcusably unprofessional complacent complacency complacence inattentive inattention
    stupid stupidity foolish foolishly foolishness clueless idiot idiotic boneheaded silly rookie dumb corners cowboy
    asleep ball bother bothered attention lack lacked lacking judgment judgement hasty hastily care cared careful
    better rushed rushing shortcuts slept decision decisions
    """
)
_CAUSE_WORDS = words(
    """
    forgot forgotten forgets neglected neglects overlooked overlooks fat-fingered fatfingered botched messed screwed
    made failed fails did didn't never had hadn't has hasn't have haven't chose decided omitted missed skipped ignored
    misconfigured mishandled misjudged misread mistyped caused broke introduced triggered shipped pushed merged
    deployed took brought knocked responsible blame blamed fault culprit cause wrong accidentally mistakenly
    inadvertently unintentionally wrongly erroneously incorrectly unknowingly mistake accident because since as due
    attributable ascribed responsibility led leads dropped slept takes taking cut should shouldn't paying
    result attributed part stemmed stems came comes boils boiled traced broken root by nobody no-one one without
    mistake mistakes error errors oversight typo blunder slip lapse negligence carelessness judgment judgement
    """
)
_STRONG_WORDS = words(
    "forgot forgotten forgets neglected neglects overlooked overlooks fat-fingered fatfingered fat botched messed "
    "screwed made"
)
_WEAK_WORDS = words(
    """
    failed fails did didn't never had hadn't has hasn't have haven't chose decided omitted missed skipped ignored
    misconfigured mishandled misjudged misread mistyped caused broke introduced triggered shipped pushed merged
    deployed took brought knocked made responsible blame fault culprit cause led leads dropped slept takes taking
    cut should shouldn't paying
    """
)
_ACCIDENTAL_WORDS = words(
    "accidentally mistakenly inadvertently unintentionally wrongly erroneously incorrectly unknowingly"
)
_CAUSE_OPENERS = words(
    """
    caused due because result blame blamed attributed attributable ascribed fault responsibility
    part stemmed stems came comes boils boiled traced
    introduced triggered broken root culprit mistake mistakes error errors oversight typo blunder slip lapse
    negligence carelessness
    """
)
_PEOPLE_WORDS = _ROLES | _PRONOUNS | {"they", "one"}
_HINDSIGHT_WORDS = frozenset({"have", "only", "had"})


class People:
    """The names a document gives (authors, reviewers, owners, timeline actors) as name tokens, plus the gazetteer."""

    __slots__ = ("_names",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        tokens: set[str] = set()
        for name in set(names):
            for part in re.split(r"[\s,/()]+", name.strip()):
                part = part.strip(".'\"@")
                if len(part) >= 2 and part[0].isupper() and part not in SENTENCE_WORDS and part.lower() not in _ROLES:
                    tokens.add(part)
        self._names = frozenset(tokens)

    def mentioned(self, text: str) -> bool:
        """Whether a sentence has a capitalised word after its first, or a first word that may be a name."""
        for match in _CAPITALISED.finditer(text):
            word = match.group()
            if word in self._names or (word not in SENTENCE_WORDS and word not in NOT_PEOPLE):
                return True
        return False

    def is_name(self, word: str, previous: str | None) -> bool:
        """Whether a capitalised word names a person: known to the document, a common first name, or a surname."""
        if word in self._names:
            return True
        if word in NOT_PEOPLE or word in SENTENCE_WORDS:
            return False
        if word in FIRST_NAMES:
            return True
        return previous is not None and word[:1].isupper() and previous in FIRST_NAMES | self._names


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _bare(tok: _Tok) -> str:
    return _POSSESSIVE.sub("", tok.text)


def _is_person(toks: list[_Tok], i: int, people: People, *, strong: bool = False) -> bool:
    """Whether token i ends a mention of a person: a name, a role, a team or a personal pronoun."""
    if i < 0:
        return False
    tok = toks[i]
    low = _POSSESSIVE.sub("", tok.low)
    if low in _PRONOUNS or (low == "they" and strong):
        return True
    if low == "one" and i > 0 and toks[i - 1].low == "no":
        return True
    if low in ("shift", "shifts") and i > 0 and toks[i - 1].low in _SHIFTS:
        return True  # "the night shift" is the people on it
    if low in _ROLES:
        if low in _AMBIGUOUS_ROLES and i > 0:
            before = toks[i - 1]
            if before.low in _TECH_MODIFIERS or (before.text[:1].isupper() and i > 1 and before.low not in _ROLES):
                return False
        return True
    word = _bare(tok)
    if not word[:1].isupper():
        return False
    previous = _bare(toks[i - 1]) if i > 0 else None
    if people.is_name(word, previous):
        return True
    return strong and len(word) > 1 and word.isalpha() and word not in SENTENCE_WORDS and word not in NOT_PEOPLE


def _named(toks: list[_Tok], k: int) -> bool:
    """Whether token k, inside a sentence, is a capitalised name that is not a tool's: "was Mark's fault"."""
    word = _bare(toks[k])
    if word.lower() in _CONTRACTED:
        return False  # "Let's encrypt error": "let us", not Let's
    return k > 0 and word.istitle() and word.isalpha() and word not in TOOLS and word not in SENTENCE_WORDS


def _subject(toks: list[_Tok], p: int, people: People, *, strong: bool) -> int | None:
    """The index of the person who is the subject of the predicate starting at token p, if any."""
    j = p - 1
    while j >= 0 and toks[j].low in _GAP:
        j -= 1
    if j > 1 and toks[j].low in ("duty", "call", "shift", "charge") and toks[j - 1].low in ("on", "in"):
        j -= 2  # "the engineer on duty"
    elif j > 0 and toks[j].low in ("responsible", "involved", "concerned"):
        j -= 1  # "the developer responsible"
    if j < 0:
        return None
    if toks[j].low in _CONJUNCTIONS:
        return _conjunct_subject(toks, j, people, strong=strong)  # "Sarah paged the DBA and failed to mention"
    if toks[j].low in ("who", "that") and _is_person(toks, j - 1, people, strong=strong):
        return j - 1
    if not _POSSESSIVE.search(toks[j].text) and _is_person(toks, j, people, strong=strong):
        return None if _object_of_preposition(toks, j) else j
    # a relative clause between subject and verb: "the engineer who owned it skipped the tests"
    if any(toks[k].low in ("the", "a", "an") for k in range(max(0, p - 2), p)):
        return None
    for k in range(j, max(-1, j - 6), -1):
        low = toks[k].low
        if low in (",", ";", ":", "(", ")"):
            return None
        if low == "who" and _is_person(toks, k - 1, people, strong=strong):
            return k - 1
        if low == "whoever":
            return k
        if low.endswith("ing") and len(low) > 4 and _is_person(toks, k - 1, people, strong=strong):
            return k - 1  # a participle phrase: "the developer creating the pull request misjudged"
    return None


def _object_of_preposition(toks: list[_Tok], j: int) -> bool:
    """Whether the person at token j is the object of a preposition inside the subject, not the subject itself.

    In "Time pressure on the team caused the error" the subject is the pressure; in "A change by Dave caused the
    outage" and "a mistake of the operator" the person is the agent of the action, so those still count.
    """
    content = 0
    for k in range(j - 1, max(-1, j - 6), -1):
        low = toks[k].low
        if low in _DETERMINERS:
            continue
        if low in _PREPOSITIONS:
            return k > 0 and toks[k - 1].low not in _MISTAKES and toks[k - 1].low not in _ARTIFACTS
        if low in _STOP or not toks[k].text[:1].isalnum() or content == 2:
            return False
        content += 1  # a modifier of the person: "the batch team", "the on-call engineer", "Dave Miller"
    return False


def _conjunct_subject(toks: list[_Tok], j: int, people: People, *, strong: bool) -> int | None:
    """The person who is the subject of the clause before a coordinating conjunction at token j, if any.

    "The engineer was tired and skipped the checklist": the engineer is also the subject of "skipped".
    """
    k = j - 1
    if k >= 0 and toks[k].low == ",":
        k -= 1
    while k >= 0 and toks[k].low not in (",", ";", ":", "(", ")") and toks[k].low not in _CLAUSE_WORDS:
        k -= 1
    span = _noun_phrase(toks, k + 1)
    if span is None or span[1] + 1 >= j or span[0] > k + 3:
        return None
    head = span[1]
    if _POSSESSIVE.search(toks[head].text) or not _is_person(toks, head, people, strong=strong):
        return None
    return None if _object_of_preposition(toks, head) else head


def _noun_phrase(toks: list[_Tok], q: int) -> tuple[int, int] | None:
    """The span of token indexes of the noun phrase that starts at token q (determiners skipped)."""
    while q < len(toks) and toks[q].low in _DETERMINERS:
        q += 1
    end = q
    while end < len(toks) and end - q < 5:
        tok = toks[end]
        low = tok.low
        if not tok.text[:1].isalnum() or low in _STOP:
            break
        if low.endswith("ing") and low not in _NOUN_ING:
            break
        if low.endswith("ed") and end > q and not _POSSESSIVE.search(toks[end - 1].text):
            break
        end += 1
        if _POSSESSIVE.search(tok.text) and end < len(toks):
            continue
    return (q, end - 1) if end > q else None


def _person_phrase(toks: list[_Tok], q: int, people: People) -> int | None:
    """The index of the person the noun phrase at token q is, or whose mistake or change it is."""
    span = _noun_phrase(toks, q)
    if span is None:
        return None
    start, head = span
    if _is_person(toks, head, people):
        return head
    head_low = toks[head].low
    if head_low in _MISTAKES or head_low in _ARTIFACTS:
        for k in range(start, head):
            if _POSSESSIVE.search(toks[k].text) and _is_person(toks, k, people):
                return k
        after = head + 1
        if after + 1 < len(toks) and toks[after].low in ("by", "of"):
            return _person_phrase(toks, after + 1, people)
    return None


def _token_at(toks: list[_Tok], offset: int) -> int | None:
    for index, tok in enumerate(toks):
        if tok.start == offset:
            return index
        if tok.start > offset:
            return None
    return None


def _token_after(toks: list[_Tok], offset: int) -> int:
    for index, tok in enumerate(toks):
        if tok.start >= offset:
            return index
    return len(toks)


def _clause_subject(toks: list[_Tok], p: int, people: People) -> int | None:
    """The person who is the subject of the clause that contains token p (up to its first verb), if any."""
    start = p - 1
    while start >= 0 and toks[start].low not in (",", ";", ":", "(") and toks[start].low not in _CLAUSE_WORDS:
        start -= 1
    k = start + 1
    while k < p:
        low = toks[k].low
        if low in _IRREGULAR_PAST or low in ("is", "are") or (low.endswith("ed") and k > start + 1):
            return k - 1 if _is_person(toks, k - 1, people) else None
        k += 1
    return None


_REASON_FIRST = re.compile(r"\b(?:because of|due to|given|owing to|as a result of)\b[^;:]*,\s*$")
# "no alert was configured so nobody noticed", "… so we didn't catch the issue in testing": the omission told as the
# consequence of the condition before it (said of "we" or nobody: the team, not one person)
_CONSEQUENCE_BEFORE = re.compile(
    r"\b(?:so|therefore|hence|thus|consequently|as a result|which meant(?: that)?|meaning(?: that)?)\s*,?\s*$"
)
_COLLECTIVE = frozenset({"we", "nobody", "no-one"})
# "X's" that is "X is" or "let us", never a possessive
_CONTRACTED = frozenset({"let", "here", "there", "it", "that", "what", "who", "where", "he", "she", "everyone"})
# "It was like everyone forgot their keys at home": a simile, not an account of what people did
_SIMILE_BEFORE = re.compile(r"\b(?:like|as if|as though)\s+$")
# "Connections were open, but they forgot to close the door": "they" are the things the sentence began with
_THINGS_FIRST = re.compile(r"^\s*(?:the\s+|our\s+|some\s+|all\s+)?([a-z]+s)\s+(?:were|are|had|have|kept|stayed)\b")
# "we missed it because all our read operations were fine": the miss told with the condition that explains it
_CONDITION_AFTER = re.compile(r"^[^.;]{0,40}?\b(?:because|since|as)\s+((?:[\w'-]+\s+){0,4}[\w'-]+)")
# "We would be remiss if we didn't take this opportunity": an omission supposed, not one that happened
_SUPPOSED = re.compile(r"\b(?:if|unless|whether|even if)\s+$")
# "did not escalate the issue as it was unnecessary at this stage": the omission was right at the time
_NOT_NEEDED_AFTER = re.compile(
    r"^[^.;]{0,80}?\b(?:as|because|since)\s+(?:it|this|that)\s+(?:was|is|seemed|appeared)\s+(?:not\s+(?:yet\s+)?"
    r"(?:needed|necessary|required|warranted)|unnecessary|unneeded|unwarranted)\b"
)
# "we had introduced a regression", "we deployed a bug": the team owning a change, not an omission or a person's slip
_NEUTRAL_CAUSE = re.compile(r"(?:introduced|triggered|shipped|pushed|merged|deployed|caused)\b")
# "was not reviewed by another developer": no one in particular; the missing second person is the process's gap
_NO_ONE_IN_PARTICULAR = frozenset({"another", "any", "anyone", "anybody", "second"})
_RELATIVE_PRONOUNS = frozenset({"we", "i", "they", "he", "she"})


def _explained(toks: list[_Tok], who: int, low: str) -> bool:
    """Whether a person's omission is told as the consequence of a stated condition, or in a relative clause.

    "Because of a blind spot in our tests, we did not spot this" gives the condition first; in "a breaking change we
    did not catch" and "a sign we missed" the sentence is about the change or the sign.
    """
    before = low[: toks[who].start]
    if _REASON_FIRST.search(before):
        return True
    if toks[who].low in _COLLECTIVE and _CONSEQUENCE_BEFORE.search(before):
        return True
    if _SUPPOSED.search(before) or _SIMILE_BEFORE.search(before):
        return True
    if toks[who].low == "they":
        things = _THINGS_FIRST.match(low)
        if things and things.group(1) not in _PEOPLE_WORDS and things.group(1) not in _ROLES:
            return True
    if toks[who].low not in _RELATIVE_PRONOUNS or who < 2:
        return False
    noun = toks[who - 1]
    if not noun.text.isalpha() or not noun.text.islower() or noun.low.endswith("ly"):
        return False
    if noun.low in _STOP or noun.low in _CLAUSE_WORDS or noun.low in _GAP or noun.low in _CONJUNCTIONS:
        return False
    return any(toks[k].low in _DETERMINERS for k in range(max(0, who - 4), who - 1))


def _person_as_cause(text: str, low: str, people: People, words: set[str]) -> list[Hit]:
    hits: list[Hit] = []
    cache: list[list[_Tok]] = []

    def tokens() -> list[_Tok]:
        # tokenising costs more than every pattern together: only once a pattern matched
        if not cache:
            cache.append(_tokens(text))
        return cache[0]

    def add(start: int, end: int, what: str) -> None:
        hits.append(Hit(PERSON_AS_CAUSE, start, end, what))

    predicates = ((_STRONG, True, _STRONG_WORDS), (_HUMAN_OMISSION, True, _WEAK_WORDS), (_WEAK, False, _WEAK_WORDS))
    for pattern, strong, needed in predicates:
        if not words & needed:
            continue
        for match in pattern.finditer(low):
            toks = tokens()
            p = _token_at(toks, match.start())
            if p is None:
                continue
            who = _subject(toks, p, people, strong=strong)
            if who is None or _explained(toks, who, low):
                continue
            if toks[who].low == "we" and _NEUTRAL_CAUSE.match(match.group()):
                continue
            if _NOT_NEEDED_AFTER.match(low[match.end() :]):
                continue
            reason = _CONDITION_AFTER.match(low[match.end() :]) if toks[who].low in _COLLECTIVE else None
            if reason and not set(reason.group(1).split()) & (_PEOPLE_WORDS | {"i", "he", "she", "they"}):
                continue  # "we missed it because all our reads were fine"
            add(toks[who].start, match.end(), "presents a person as the cause")
    for match in _WRONG.finditer(low) if "wrong" in words else ():
        toks = tokens()
        p = _token_at(toks, match.start(1))
        if p is None:
            continue
        if match.group(1) in ("to", "of", "in", "on", "at", "for", "from", "with", "into", "against"):
            who = _clause_subject(toks, p, people)  # "typed the command against the wrong region"
        else:
            who = _subject(toks, p, people, strong=False)
        if who is not None:
            add(toks[who].start, match.end(), "presents a person's action as the cause")
    for match in _ACCIDENTAL.finditer(low) if words & _ACCIDENTAL_WORDS else ():
        toks = tokens()
        p = _token_at(toks, match.start())
        who = _subject(toks, p, people, strong=False) if p is not None else None
        if who is not None:
            add(toks[who].start, match.end(), "presents a person's action as the cause")
    for match in _BY_MISTAKE.finditer(low) if "by" in words else ():
        toks = tokens()
        p = _token_at(toks, match.start())
        who = _clause_subject(toks, p, people) if p is not None else None
        if who is not None:
            add(toks[who].start, match.end(), "presents a person's action as the cause")
    for match in _BAD_OUTCOME_BECAUSE.finditer(low) if words & {"because", "since", "as"} else ():
        toks = tokens()
        q = _token_after(toks, match.end())
        who = _person_phrase(toks, q, people)
        span = _noun_phrase(toks, q)
        if who is not None and span is not None and span[1] + 1 < len(toks):
            following = toks[span[1] + 1].low
            if following not in _STOP or following in ("on", "who", "from", "in"):
                add(toks[q].start, toks[who].end, "gives a person's action as the cause")
    for match in _CAUSE.finditer(low) if words & _CAUSE_OPENERS else ():
        toks = tokens()
        q = _token_after(toks, match.end())
        who = _person_phrase(toks, q, people)
        if who is not None:
            add(match.start(), toks[who].end, "names a person as the cause")
    for match in _PASSIVE.finditer(low) if "by" in words else ():
        toks = tokens()
        q = _token_after(toks, match.end())
        if q < len(toks) and toks[q].low in _NO_ONE_IN_PARTICULAR:
            continue
        who = _person_phrase(toks, q, people)
        if who is not None:
            add(match.start(), toks[who].end, "names a person as the cause")
    possessive = "'" in text or "’" in text
    for pattern in (_POSSESSED_MISTAKE, _POSSESSED_ARTIFACT) if possessive else ():
        for match in pattern.finditer(text):
            toks = tokens()
            k = _token_at(toks, match.start(1))
            if k is not None and (_is_person(toks, k, people) or (pattern is _POSSESSED_MISTAKE and _named(toks, k))):
                add(match.start(), match.end(), "attributes the failure to a person")
    for match in _NOBODY.finditer(low) if words & {"nobody", "no-one", "one"} else ():
        toks = tokens()
        before = low[: match.start()].rstrip()
        if not before.endswith(("that", "which", "whom")) and not _CONSEQUENCE_BEFORE.search(before + " "):
            add(match.start(), match.end(), "presents people's omission as the cause")
    for match in _WITHOUT.finditer(low) if "without" in words else ():
        toks = tokens()
        w = _token_at(toks, match.start())
        if w is None:
            continue
        who = None
        for k in range(w - 1, max(-1, w - 6), -1):
            if toks[k].low == "by":
                found = _person_phrase(toks, k + 1, people)
                who = found if found is not None and found == w - 1 else None
                break
        if who is None:
            who = _clause_subject(toks, w, people)
        if who is not None:
            add(toks[who].start, match.end(), "presents a person's omission as the cause")
    return hits


_QUOTES = "'\"‘’“”`"


def _quoted(low: str, start: int, end: int) -> bool:
    """Whether a phrase is quoted ('user error', or within a quotation): reported words, not the writer's."""
    if start > 0 and end < len(low) and low[start - 1] in _QUOTES and low[end] in _QUOTES:
        return True
    before = low[:start]
    opened = before.count('"') % 2 == 1 or before.count("“") > before.count("”")
    return opened and ('"' in low[end:] or "”" in low[end:])


def _human_error(low: str) -> list[Hit]:
    hits: list[Hit] = []
    for match in _HUMAN_ERROR.finditer(low):
        if _quoted(low, match.start(), match.end()):
            continue
        before = re.findall(r"[a-z']+", low[max(0, match.start() - 40) : match.start()])[-6:]
        if any(word in _HUMAN_ERROR_EXCUSE for word in before):
            continue
        if _COMPOUND_AFTER.match(low[match.end() :]):
            continue
        if match.group(1) and low.startswith("user", match.start()):
            continue  # "user errors" is the HTTP 4xx category
        if _LISTED_CAUSE.search(low[: match.start()]):
            continue  # one of many causes in general: "due to bugs, traffic spikes, … or human error"
        hits.append(Hit(HUMAN_ERROR, match.start(), match.end(), "names human error as a cause"))
    return hits


def _judgment(low: str) -> list[Hit]:
    hits: list[Hit] = []
    for match in _JUDGMENT.finditer(low):
        word = match.group()
        if _quoted(low, match.start(), match.end()):
            continue
        rest = low[match.end() :]
        if word == "lazily" and (_TECH_LAZILY.match(rest) or _TECH_BEFORE_LAZILY.search(low[: match.start()])):
            continue
        if word in ("rushed", "rushing") and _SCHEDULE_AFTER.match(rest):
            continue
        hits.append(Hit(JUDGMENT, match.start(), match.end(), "judges people rather than describing conditions"))
    return hits


def _is_participle(word: str) -> bool:
    return word in _PARTICIPLES or word.endswith("ed") or (word.endswith("en") and len(word) > 4)


def _hindsight(text: str, low: str, people: People) -> list[Hit]:
    hits: list[Hit] = []
    conditional = _CONDITIONAL.search(low) is not None
    for match in _MODAL.finditer(low):
        modal, negation, verb, after = match.group(1), match.group(2), match.group(3), match.group(4)
        if not _is_participle(verb):
            continue
        if modal in ("may", "might") and not negation and verb in _HEDGED:
            continue  # a hedge: "may have contributed"
        if verb == "gone" and _WENT.match(low[match.end(3) :]):
            continue
        if modal == "should" and not negation and verb in _EXPECTED:
            continue
        if verb == "been" and (after in _SYSTEM_ALLOWED or after == "no"):
            continue  # "should not have been possible", "there should have been no way for one person to …"
        if modal != "should" and _NONE_THAT.search(low[: match.start()]):
            continue
        if _QUESTION.search(low[: match.start()]):
            continue  # "reflect on whether it should have been communicated" asks, with the reader, in the open
        if modal in ("would", "might", "may") and not negation:
            # "it would have rendered 30k crates unbuildable for anyone": an impact, unless it names a remedy
            # ("a release which would have allowed the swap without an outage") or a person acts in it (is named
            # before the modal: "we would have isolated", "if Dave had checked, it would have")
            toks = _tokens(text[: match.start()])
            remedy = verb in _REMEDY_VERBS or (verb == "been" and (after in _REMEDY_VERBS or after in _FINE))
            if not remedy and (verb == "been" or not any(_is_person(toks, i, people) for i in range(len(toks)))):
                continue  # "it would have been escalated": what would have happened, not what should have
        adjective = verb.endswith("ed") and verb not in _PARTICIPLES and after and after not in _FUNCTION_AFTER
        if adjective and not after.endswith("ly"):
            continue  # "should have automated tests": an adjective, not a counterfactual
        if modal in ("would", "might", "may") and not (conditional or negation in (" never", " not", "n't")):
            continue
        if modal == "could" and negation and _NOT_KNOWABLE.search(verb):
            continue
        if modal == "could" and verb == "been" and after not in _REMEDIES and not (after or "").endswith("er"):
            continue
        end = match.end(3)
        hits.append(Hit(HINDSIGHT, match.start(), end, "is a counterfactual written with hindsight"))
    for match in _IF_ONLY.finditer(low):
        hits.append(Hit(HINDSIGHT, match.start(), match.end(), "is a counterfactual written with hindsight"))
    return hits


def analyse_sentence(text: str, people: People) -> list[Hit]:
    """Every blame finding in one sentence, in order of position: the first phrase of each rule."""
    low = text.lower()
    words = set(_WORDS.findall(low))
    if len(words) < 2:
        return []
    hits: list[Hit] = []
    someones = ("'" in text or "’" in text) and words & _MISTAKES  # "was Mark's fault"
    if words & _CAUSE_WORDS and (words & _PEOPLE_WORDS or people.mentioned(text) or someones):
        hits.extend(_person_as_cause(text, low, people, words))
    if words & _HUMAN_ERROR_WORDS or "layer" in words:
        hits.extend(_human_error(low))
    if words & _JUDGMENT_WORDS:
        hits.extend(_judgment(low))
    if words & _HINDSIGHT_WORDS:
        hits.extend(_hindsight(text, low, people))
    if not hits:
        return hits
    kept: dict[str, Hit] = {}
    for hit in sorted(hits, key=lambda hit: (hit.start, hit.rule)):
        start = hit.start
        while start > 0 and text[start - 1].isalnum():
            start -= 1  # a phrase found mid-word ("n't bother") starts at its word
        kept.setdefault(hit.rule, Hit(hit.rule, start, hit.end, hit.message))
    return sorted(kept.values(), key=lambda hit: hit.start)


_AFFORDANCE = re.compile(
    r"^(?:had no|has no|have no|lacked|lack|lacks|could not|couldn't|cannot|can't|was unable|were unable|"
    r"did not have|didn't have|do not have|don't have|does not have|doesn't have|had not been|was not|wasn't|"
    r"were not|weren't|did not know|didn't know|was never|were never|got no|received no|had to)\b"
)


def person_is_subject(text: str, people: People) -> bool:
    """Whether a cause statement is about a person: its subject is a person doing or being something.

    "The engineer did not check" and "Dave" are; "Engineers had no way to see the lag" and
    "Engineers were not told" describe a missing affordance and are not.
    """
    body = re.sub(r"^\s*(?:because|since|as|the reason (?:is|was)(?: that)?)\s+", "", text.strip(), flags=re.I)
    toks = _tokens(body)
    span = _noun_phrase(toks, 0)
    if span is None or span[0] > 2:
        return False
    head = span[1]
    if not _is_person(toks, head, people) or _POSSESSIVE.search(toks[head].text):
        return False
    rest = body[toks[head].end :].lower().strip()
    return not _AFFORDANCE.match(rest)
