"""The runner's child process: run one Pulumi program under mocks and stream what it registers.

Started by `cli.runner.run_program` as `python -m cli.runner._child FD`. The spec arrives on
stdin (read whole, then stdin becomes /dev/null); results leave as JSON lines on the
inherited descriptor FD, which only the parent reads: `resource` records as they register,
then one `end` record. Whatever the program prints goes to this process's stdout and stderr,
which the parent captures separately. After the end record the process leaves with
`os._exit`, so neither the program's leftover threads nor interpreter teardown can change
the outcome or cost time.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from typing import Any


class _Channel:
    """Line-framed JSON records on the result descriptor; one writer at a time."""

    def __init__(self, fd: int, nonce: str):
        self.fd = fd
        self.nonce = nonce
        self.lock = threading.Lock()

    def send(self, record: dict[str, Any]) -> None:
        data = (json.dumps({**record, "nonce": self.nonce}, default=str, separators=(",", ":")) + "\n").encode()
        with self.lock:
            view = memoryview(data)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]


def _limit_memory(limit: int) -> None:
    import resource

    if limit > 0:
        # soft and hard: the program cannot raise it again
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _quiet() -> None:
    """No asyncio or SDK chatter on the program's stderr: it is the program's output only."""
    import logging
    import warnings

    warnings.simplefilter("ignore", ResourceWarning)
    warnings.filterwarnings("ignore", module="asyncio")
    warnings.filterwarnings("ignore", module="pulumi")
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    logging.getLogger("pulumi").setLevel(logging.CRITICAL)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001, S110 - a program may have closed or replaced its streams
            pass


def main() -> None:
    fd = int(sys.argv[1])
    os.set_inheritable(fd, False)  # the program's own subprocesses do not get the channel
    spec = json.loads(sys.stdin.buffer.read())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    channel = _Channel(fd, spec["nonce"])
    _limit_memory(int(spec.get("memory_limit", 0)))
    _quiet()
    status = 0
    try:
        status = _run(spec, channel)
    except BaseException as err:  # noqa: BLE001 - a fault of the runner itself: report, then leave
        with contextlib.suppress(Exception):
            channel.send({"kind": "end", "ok": False, "message": f"the runner failed: {err.__class__.__name__}: {err}"})
        status = 3
    _flush()
    os._exit(status)


def _run(spec: dict[str, Any], channel: _Channel) -> int:
    from pathlib import Path

    root = Path(spec["root"])
    os.chdir(root)
    sys.path.insert(0, str(root))
    sys.argv = [spec["program"]]

    from cli.capture import ProgramError, capture_program

    def emit(resource: Any) -> None:
        record = resource.to_json()
        record["secret_paths"] = list(resource.secret_paths)
        record["plaintext_secret_paths"] = list(resource.plaintext_secret_paths)
        channel.send({"kind": "resource", "resource": record})

    try:
        capture = capture_program(
            Path(spec["program"]), project=spec["project"], stack=spec["stack"], config=spec["config"],
            secret_keys=spec["secret_keys"], region=spec["region"], account_id=spec["account_id"],
            tenant_id=spec["tenant_id"], mode=spec["mode"], program_dir=Path(spec["user_dir"]), on_resource=emit,
        )
    except ProgramError as err:
        _flush()
        channel.send({"kind": "end", "ok": False, "message": str(err), "location": err.location, "code": err.code,
                      "warnings": list(err.warnings)})
        return 0
    _flush()
    channel.send({"kind": "end", "ok": True, "warnings": list(capture.warnings), "count": len(capture.resources)})
    return 0


if __name__ == "__main__":
    main()
