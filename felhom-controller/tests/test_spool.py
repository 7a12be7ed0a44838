"""The spool: durable FIFO, bounded with counted drops, rejects set aside, two writers."""

import threading
from pathlib import Path

from felhom_controller.spool import KEEP_REJECTED, Kind, Spool


def test_messages_come_out_oldest_first_and_survive_a_new_instance(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_items=10)
    spool.put(Kind.EVENT, {"n": 1})
    spool.put(Kind.REPORT, {"n": 2})
    reopened = Spool(tmp_path, max_items=10)  # as after a crash or restart
    first = reopened.peek()
    assert first is not None and (first.kind, first.body) == (Kind.EVENT, {"n": 1})
    reopened.ack(first)
    second = reopened.peek()
    assert second is not None and (second.kind, second.body) == (Kind.REPORT, {"n": 2})
    reopened.ack(second)
    assert reopened.peek() is None and len(reopened) == 0


def test_a_full_spool_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_items=10)
    for n in range(13):
        spool.put(Kind.REPORT, {"n": n})
    assert len(spool) == 10
    assert spool.dropped == 3
    head = spool.peek()
    assert head is not None and head.body == {"n": 3}
    assert Spool(tmp_path, max_items=10).dropped == 3


def test_rejected_messages_are_kept_aside_newest_few(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_items=100)
    for n in range(KEEP_REJECTED + 5):
        spool.put(Kind.EVENT, {"n": n})
        message = spool.peek()
        assert message is not None
        spool.reject(message)
    kept = sorted(spool.rejected_dir.iterdir())
    assert len(kept) == KEEP_REJECTED
    assert len(spool) == 0


def test_a_corrupt_file_is_moved_aside_not_retried_forever(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_items=10)
    spool.put(Kind.REPORT, {"n": 1})
    spool.put(Kind.REPORT, {"n": 2})
    first = sorted(tmp_path.glob("*-report.json"))[0]
    first.write_text("{not json")
    head = spool.peek()
    assert head is not None and head.body == {"n": 2}
    assert (spool.rejected_dir / first.name).exists()


def test_two_writers_never_overwrite_each_other(tmp_path: Path) -> None:
    spools = [Spool(tmp_path, max_items=1000), Spool(tmp_path, max_items=1000)]

    def write(spool: Spool, writer: int) -> None:
        for n in range(50):
            spool.put(Kind.EVENT, {"writer": writer, "n": n})

    threads = [threading.Thread(target=write, args=(s, i)) for i, s in enumerate(spools)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(spools[0]) == 100
