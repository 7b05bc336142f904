"""dcmtk's reference worklist SCP (`wlmscpfs`) serving the product's items as .wl files.

Each item is written as a dcmdump-style text and turned into a DICOM file by `dump2dcm`,
as a PACS administrator would prepare files for wlmscpfs; wlmscpfs then answers the
same findscu queries, and the tests compare its matches with ours.
"""

import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from pydicom.dataset import Dataset


def dump_text(dataset: Dataset) -> str:
    lines: list[str] = []
    _dump(dataset, lines)
    return "\n".join(lines) + "\n"


def _dump(dataset: Dataset, lines: list[str]) -> None:
    for element in dataset:
        tag = f"({element.tag.group:04x},{element.tag.element:04x})"
        if element.VR == "SQ":
            lines.append(f"{tag} SQ (Sequence with undefined length)")
            for item in element.value:
                lines.append("(fffe,e000) na (Item with undefined length)")
                _dump(item, lines)
                lines.append("(fffe,e00d) na (ItemDelimitationItem)")
            lines.append("(fffe,e0dd) na (SequenceDelimitationItem)")
            continue
        value = element.value
        if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
            value = "\\".join(str(v) for v in value)
        lines.append(f"{tag} {element.VR} [{'' if value is None else value}]")


def write_worklist_files(items: list[Dataset], directory: Path, ae_title: str) -> Path:
    """<directory>/<AE title>/item-N.wl plus the lockfile wlmscpfs requires."""
    folder = directory / ae_title
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lockfile").touch()
    for number, item in enumerate(items, start=1):
        dump = folder / f"item-{number}.dump"
        dump.write_text(dump_text(item), encoding="utf-8")
        subprocess.run(  # noqa: S603 - fixed tool, our own files
            ["dump2dcm", "--write-xfer-little", str(dump), str(folder / f"item-{number}.wl")],  # noqa: S607
            check=True,
            capture_output=True,
            timeout=30,
        )
        dump.unlink()
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def wlmscpfs(directory: Path):
    """Run wlmscpfs on an OS-chosen free port until the block ends."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        ["wlmscpfs", "--single-process", "-csk", "-dfp", str(directory), str(port)],  # noqa: S607
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError("wlmscpfs did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
