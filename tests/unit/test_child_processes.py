"""How `slowburn serve` finds its descendants and how long it waits for a run when asked to stop."""

import threading
from types import SimpleNamespace

from detector.commands.serve import _wait_for_run
from detector.engine.child_processes import descendants


def fake_proc(tmp_path, processes):
    for pid, (comm, ppid) in processes.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560\n")
    (tmp_path / "self").mkdir()  # not a process directory
    return tmp_path


def test_descendants_are_found_through_every_generation_even_with_odd_command_names(tmp_path):
    proc = fake_proc(
        tmp_path,
        {
            100: ("python3", 1),
            101: ("python3 -c forkserver) x", 100),
            102: ("worker", 101),
            103: ("worker", 101),
            104: ("resource tracker", 100),
            200: ("unrelated", 1),
            201: ("its child", 200),
        },
    )
    assert sorted(descendants(100, proc)) == [101, 102, 103, 104]
    assert descendants(102, proc) == []


def tick(busy: bool, hurry: bool) -> SimpleNamespace:
    state = SimpleNamespace(busy=threading.Lock(), hurry=threading.Event())
    if busy:
        state.busy.acquire()
    if hurry:
        state.hurry.set()
    return state


def test_with_no_run_in_progress_stopping_does_not_wait():
    assert _wait_for_run(tick(busy=False, hurry=False), timeout=3600) is True


def test_a_second_stop_signal_abandons_the_run_in_progress_at_once():
    assert _wait_for_run(tick(busy=True, hurry=True), timeout=3600) is False


def test_a_run_still_in_progress_at_the_shutdown_timeout_is_abandoned():
    assert _wait_for_run(tick(busy=True, hurry=False), timeout=0.3) is False
