"""How many processes parse: the CPUs by default, one where a pool may not start."""


def _workers_in_a_daemon(queue) -> None:
    from chimera_pipeline.lib.settings import parse_workers

    queue.put(parse_workers())


def test_parse_workers_stay_in_process_inside_a_daemonic_worker(monkeypatch) -> None:
    """A Celery prefork child is daemonic and may not start a pool: parse there serially."""
    import multiprocessing

    from chimera_pipeline.lib.settings import parse_workers

    monkeypatch.setenv("CHIMERA_PARSE_WORKERS", "3")
    assert parse_workers() == 3
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_workers_in_a_daemon, args=(queue,), daemon=True)
    child.start()
    assert queue.get(timeout=60) == 1
    child.join(timeout=60)
