"""The code location: asset graph, partitions, pools."""




def test_asset_graph_partitions_and_pools() -> None:
    import dagster as dg

    from chimera_pipeline.definitions import defs

    graph = defs().resolve_asset_graph()
    inventory = graph.get(dg.AssetKey("artifact_inventory"))
    metrics = graph.get(dg.AssetKey("benchmark_metrics"))
    assert metrics.parent_keys == {dg.AssetKey("artifact_inventory")}
    for node in (inventory, metrics):
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        assert node.pools == {"duckdb_writer"}
    keys = inventory.partitions_def.get_partition_keys()
    assert "2025-10-02" in keys

