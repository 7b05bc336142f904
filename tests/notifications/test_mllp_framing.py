"""The one MLLP framing (notifications.channels.mllp): <VT> message <FS><CR>, read from a
socket however the bytes arrive. The SIU channel and the HL7 order listener both use it."""

import socket

import pytest

from notifications.channels.mllp import FrameTooLarge, frame, read_frames


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_frame_is_the_message_between_a_vertical_tab_and_a_file_separator_with_a_carriage_return():
    assert frame(b"MSH|^~\\&|X") == b"\x0bMSH|^~\\&|X\x1c\x0d"


def test_a_frame_split_over_several_reads_is_joined(pair):
    ours, theirs = pair
    whole = frame(b"MSH|one\rPID|1")
    theirs.sendall(whole[:4])
    reader = read_frames(ours, max_bytes=1000)
    theirs.sendall(whole[4:])
    assert next(reader) == b"MSH|one\rPID|1"


def test_keep_alive_bytes_between_frames_are_skipped_and_each_frame_comes_out_in_order(pair):
    ours, theirs = pair
    theirs.sendall(b"\r\n" + frame(b"first") + b"\n\n" + frame(b"second"))
    theirs.shutdown(socket.SHUT_WR)
    assert list(read_frames(ours, max_bytes=1000)) == [b"first", b"second"]


def test_a_connection_closed_mid_frame_yields_nothing_more(pair):
    ours, theirs = pair
    theirs.sendall(b"\x0bhalf a mess")
    theirs.shutdown(socket.SHUT_WR)
    assert list(read_frames(ours, max_bytes=1000)) == []


def test_a_frame_that_grows_past_the_limit_without_ending_is_refused(pair):
    ours, theirs = pair
    theirs.sendall(b"\x0b" + b"x" * 2000)
    with pytest.raises(FrameTooLarge):
        next(read_frames(ours, max_bytes=1000))
