"""Event keys for tests that publish or consume outside a running stack: a key pair per named
producer in a fresh directory, as `llwybr up` makes them."""

import json
import tempfile
from pathlib import Path

from llwybr_common.event_signing import (
    PRODUCERS,
    EventSigner,
    EventVerifier,
    generate_keys,
    load_signer,
    load_verifier,
    private_key_path,
    public_keys_dir,
)
from llwybr_contracts.envelope import CloudEvent


class Keys:
    def __init__(self, *services: str, producers: dict[str, frozenset[str]] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="llwybr-keys-"))
        generate_keys(self.dir, services)
        self.signers: dict[str, EventSigner] = {
            s: load_signer(private_key_path(self.dir, s), s) for s in services
        }
        self.verifier: EventVerifier = load_verifier(
            public_keys_dir(self.dir), producers or PRODUCERS
        )

    def signed(self, envelope: CloudEvent, by: str) -> bytes:
        """The message value a producer `by` would publish."""
        return json.dumps(self.signers[by].sign(envelope.model_dump(mode="json"))).encode()
