"""A local SMTP sink: accepts every message and keeps it on disk, one `.eml` file each.

Run by `llwybr up` as `python -m llwybr.smtp_sink --port S --dir <home>/mail`. Nothing is relayed;
tests and developers read the files to see what would have been sent. Its log lines are JSON like
every service's, and never name an address: mail addresses are personal data.
"""

import argparse
import asyncio
import logging
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from llwybr_common.logs import setup_logging

log = logging.getLogger("llwybr.smtp_sink")


class MaildirHandler:
    """aiosmtpd handler writing each DATA to `<dir>/<utc time>-<uuid>.eml`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        headers = (
            f"X-Llwybr-Mail-From: {envelope.mail_from}\r\n"
            f"X-Llwybr-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        # Write then rename, so a reader polling the directory never sees half a message.
        partial = final.with_suffix(".part")
        partial.write_bytes(headers + content)
        partial.rename(final)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, directory: Path) -> None:
    handler = MaildirHandler(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="llwybr-sink"), host, port)
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    log.info("smtp sink listening", extra={"address": f"{host}:{port}", "mail_dir": str(directory)})
    await stopping.wait()
    server.close()
    await server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llwybr.smtp_sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, required=True, help="where received mail is kept")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    setup_logging("smtp")
    asyncio.run(serve(args.host, args.port, args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
