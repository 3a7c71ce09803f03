"""`llwybr up` gives every process its own event signing key and the producers' public keys."""

import stat
from pathlib import Path

import pytest

from llwybr.components import BY_NAME
from llwybr.stack import event_keys_env
from llwybr_common.event_signing import SignatureError, load_signer, load_verifier
from llwybr_contracts import topics

pytestmark = pytest.mark.unit


def test_each_process_signs_with_its_own_key_and_checks_the_others(tmp_path: Path) -> None:
    envs = {name: event_keys_env(tmp_path, name) for name in BY_NAME}
    private = {env["LLWYBR_EVENT_SIGNING_KEY"] for env in envs.values()}
    assert len(private) == len(BY_NAME), "no two processes share a signing key"
    for path in private:
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    assert len({env["LLWYBR_EVENT_VERIFY_KEYS"] for env in envs.values()}) == 1

    again = event_keys_env(tmp_path, "referral")  # a second `up` keeps the keys
    assert (
        Path(again["LLWYBR_EVENT_SIGNING_KEY"]).read_bytes()
        == Path(envs["referral"]["LLWYBR_EVENT_SIGNING_KEY"]).read_bytes()
    )

    verifier = load_verifier(Path(again["LLWYBR_EVENT_VERIFY_KEYS"]))
    envelope = {"id": "e-1", "type": "wales.aln.referral.case-opened.v1", "data": {"case_id": "c"}}
    referral = load_signer(Path(envs["referral"]["LLWYBR_EVENT_SIGNING_KEY"]), "referral")
    assert verifier.verify(referral.sign(envelope), topics.REFERRAL) == "referral"
    bridge = load_signer(Path(envs["bridge"]["LLWYBR_EVENT_SIGNING_KEY"]), "bridge")
    with pytest.raises(SignatureError, match=r"'bridge' does not publish to aln\.referral\.v1"):
        verifier.verify(bridge.sign(envelope), topics.REFERRAL)
