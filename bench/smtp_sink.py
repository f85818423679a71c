#!/usr/bin/env python3
"""An SMTP sink for bench/cluster.sh: takes every message and records who got what.

Usage: bench/smtp_sink.py PORT LOG [--fail-421-for SECONDS] [--fail-451-every N]

Each accepted message appends one line to LOG: "<recipient>\t<Message-ID>\t<Subject>".
--fail-421-for S: for the first S seconds every connection is greeted with 421 (the relay is
down for maintenance); --fail-451-every N: afterwards, the first attempt of every Nth recipient
is refused with 451 at RCPT (greylisting), the next attempt taken. Standard library only
(asyncio), Python 3.9+. No PIPELINING, no TLS, no AUTH: a relay on loopback.
"""

import asyncio
import sys
import time

START = time.monotonic()
FAIL_421_FOR = 0.0
FAIL_451_EVERY = 0
greylisted = set()
seen_rcpt = 0


def argument(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


async def session(reader, writer, log):
    global seen_rcpt
    send = lambda line: writer.write((line + "\r\n").encode())
    if time.monotonic() - START < FAIL_421_FOR:
        send("421 4.3.2 sink: down for maintenance, try later")
        await writer.drain()
        writer.close()
        return
    send("220 sink ESMTP")
    recipients = []
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                send("250-sink" if verb == "EHLO" else "250 sink")
                if verb == "EHLO":
                    send("250-8BITMIME")
                    send("250 SMTPUTF8")
            elif verb == "MAIL":
                recipients = []
                send("250 2.1.0 ok")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
                seen_rcpt += 1
                if FAIL_451_EVERY and seen_rcpt % FAIL_451_EVERY == 0 and address not in greylisted:
                    greylisted.add(address)
                    send("451 4.7.1 sink: greylisted, try again")
                else:
                    recipients.append(address)
                    send("250 2.1.5 ok")
            elif verb == "DATA":
                if not recipients:
                    send("554 5.5.1 no valid recipients")
                    continue
                send("354 go on")
                message_id, subject = "", ""
                while True:
                    data = await reader.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    text = data.decode("utf-8", "replace")
                    lower = text.lower()
                    if lower.startswith("message-id:"):
                        message_id = text.split(":", 1)[1].strip()
                    elif lower.startswith("subject:"):
                        subject = text.split(":", 1)[1].strip()
                for r in recipients:
                    log.write(f"{r}\t{message_id}\t{subject}\n")
                log.flush()
                send("250 2.0.0 queued")
            elif verb == "RSET":
                recipients = []
                send("250 2.0.0 ok")
            elif verb == "NOOP":
                send("250 2.0.0 ok")
            elif verb == "QUIT":
                send("221 2.0.0 bye")
                await writer.drain()
                break
            else:
                send("502 5.5.2 not implemented")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    global FAIL_421_FOR, FAIL_451_EVERY
    port, path = int(sys.argv[1]), sys.argv[2]
    FAIL_421_FOR = float(argument("--fail-421-for", 0))
    FAIL_451_EVERY = int(argument("--fail-451-every", 0))
    log = open(path, "a", encoding="utf-8")
    server = await asyncio.start_server(
        lambda r, w: session(r, w, log), "127.0.0.1", port, limit=1 << 20
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
