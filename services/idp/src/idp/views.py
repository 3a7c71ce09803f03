"""What a caller sees of a plan: the working copy with each outcome's flags (in Welsh and
English, from the catalogues), and issued versions with who changed what and why."""

from idp.models import (
    ChangePublic,
    FlagPublic,
    Idp,
    IdpChange,
    IdpListItem,
    IdpPublic,
    IdpVersion,
    ProvisionItem,
    ProvisionPublic,
    VersionPublic,
)
from idp.rules import diff
from idp.service import ITEM_FIELDS, flagged_count, flags_of
from llwybr_common.i18n import lookup


def flag(code: str) -> FlagPublic:
    msgid = f"idp.flag.{code}"
    return FlagPublic(code=code, cy=lookup(msgid, "cy") or code, en=lookup(msgid, "en") or code)


def provision(item: ProvisionItem) -> ProvisionPublic:
    return ProvisionPublic(
        item_id=item.item_id,
        **{name: getattr(item, name) for name in ITEM_FIELDS},
        needs_completion=item.needs_completion,
        welsh_delivery_advice=item.welsh_delivery_advice,
        flags=[flag(code) for code in flags_of(item)],
    )


def plan(p: Idp, items: list[ProvisionItem], unissued: int) -> IdpPublic:
    return IdpPublic(
        idp_id=p.idp_id,
        case_id=p.case_id,
        child_ref=p.child_ref,
        state=p.state,
        version=p.version,
        maintainer=p.maintainer,
        maintainer_reason=p.maintainer_reason,
        authority=p.authority,
        content_language=p.content_language,
        first_issued_on=p.first_issued_on,
        last_issued_on=p.last_issued_on,
        review_due=p.review_due,
        review_at_risk=p.review_at_risk,
        cease_proposed_on=p.cease_proposed_on,
        cease_reason=p.cease_reason,
        ceased_on=p.ceased_on,
        profile=p.profile,
        aln_description=p.aln_description,
        administration=p.administration,
        provision=[provision(i) for i in items],
        flagged_outcomes=flagged_count(items),
        unissued_changes=unissued,
    )


def version(v: IdpVersion, previous: IdpVersion | None, changes: list[IdpChange]) -> VersionPublic:
    return VersionPublic(
        idp_id=v.idp_id,
        version=v.version,
        issued_on=v.issued_on,
        issued_by=v.issued_by,
        reason=v.reason,
        content=v.content,
        flagged_outcomes=v.flagged_outcomes,
        changes=[
            ChangePublic(
                seq=c.seq,
                at=c.at,
                author=c.author,
                reason=c.reason,
                target=c.target,
                action=c.action,
            )
            for c in changes
        ],
        diff=diff(previous.content if previous else None, v.content),
    )


def list_item(p: Idp, flagged: int) -> IdpListItem:
    return IdpListItem(
        idp_id=p.idp_id,
        case_id=p.case_id,
        child_ref=p.child_ref,
        state=p.state,
        version=p.version,
        maintainer=p.maintainer,
        review_due=p.review_due,
        review_at_risk=p.review_at_risk,
        flagged_outcomes=flagged,
    )
