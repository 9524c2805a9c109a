"""How many processes parse: the CPUs by default, one where a pool may not start."""

from chimera_pipeline_tests.support import parse_items


def _workers_in_a_daemon(queue) -> None:
    from chimera_pipeline.lib.common.pools import parse_workers

    queue.put(parse_workers())


def test_parse_workers_stay_in_process_inside_a_daemonic_worker(monkeypatch) -> None:
    """A Celery prefork child is daemonic and may not start a pool: parse there serially."""
    import multiprocessing

    from chimera_pipeline.lib.common.pools import parse_workers

    monkeypatch.setenv("CHIMERA_PARSE_WORKERS", "3")
    assert parse_workers() == 3
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_workers_in_a_daemon, args=(queue,), daemon=True)
    child.start()
    assert queue.get(timeout=60) == 1
    child.join(timeout=60)


def test_a_small_inventory_is_parsed_without_starting_a_pool(tmp_path, monkeypatch,
                                                            spawned_pools) -> None:
    """An incremental run's few files parse faster in process than on freshly spawned workers;
    from ``POOL_MIN_FILES`` files the default is the pool, with the same result."""
    from chimera_pipeline.lib.inventory.scan import scan_tree
    from chimera_pipeline.lib.parsing import staging
    from chimera_pipeline.lib.sample import write_corpus

    root = tmp_path / "artifacts"
    write_corpus(root)
    inventory = parse_items(scan_tree(root, ("reports", "csv_data"), ("csv", "json")))
    monkeypatch.setenv("CHIMERA_PARSE_WORKERS", "2")
    results = []
    for minimum in (staging.POOL_MIN_FILES, 10):
        monkeypatch.setattr(staging, "POOL_MIN_FILES", minimum)
        out = tmp_path / f"staged_{minimum}"
        out.mkdir()
        statuses, _ = staging.parse_in_chunks(root, inventory, out, chunk_files=20)
        results.append(sorted(statuses.to_pylist(), key=lambda s: s["path"]))
    assert len(inventory) > 40 and spawned_pools == [2]  # only the second, lowered minimum
    assert results[0] == results[1]
