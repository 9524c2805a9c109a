"""Writers for compilation benches, timing baselines, telemetry and the odd kinds."""

from __future__ import annotations

import datetime as dt

from chimera_pipeline.lib.sample.common import Unit, csv_text

_BACKENDS = {"cpu": ("eager", "jit", "torch_compile", "onnx"),
             "cuda": ("eager", "jit", "torch_compile", "onnx", "tensorrt")}
_BASE_MS = {"conv": 0.4, "mlp": 0.25, "transformer": 1.0}


def compilation(u: Unit) -> None:
    """Bench JSON + its Markdown table (header glued to the previous line, as in the
    real corpus); on cuda torch_compile fails with 0.0 ms, which means "not measured"."""
    net = ("conv", "mlp", "transformer")[u.occurrence % 3]
    device = ("cpu", "cuda")[(u.occurrence // 3) % 2]
    stem = f"{net}{'_cuda' if device == 'cuda' else ''}_bench_{u.stamp(17)}"
    generated = (u.at(17) + dt.timedelta(hours=4, seconds=20)).isoformat() + ".000000+00:00"
    backends, lines = {}, []
    for name in _BACKENDS[device]:
        failed = device == "cuda" and name == "torch_compile"
        compile_s = 0.0 if name == "eager" else u.jitter(17.0 if name == "tensorrt" else 0.5, 0.1)
        mean = 0.0 if failed else u.jitter(_BASE_MS[net] * (0.5 if name == "onnx" else 1), 0.2)
        compiled = None if name == "eager" else {
            "backend": name, "success": not failed,
            "compile_time_s": None if failed else compile_s,
            "error": "Cannot find a working triton installation." if failed else None}
        stats = {"mean_time_ms": mean, "std_time_ms": 0.0 if failed else mean * 0.05,
                 "min_time_ms": 0.0 if failed else mean * 0.9,
                 "max_time_ms": 0.0 if failed else mean * 1.2}
        backends[name] = {"backend": name, "compilation": compiled,
                          "benchmark": {"backend": name, **stats,
                                        "metadata": {"compile_time_s": compile_s}}}
        note = "error=Cannot find a working triton installation." if failed else ""
        lines.append(f"| {name} | {'no' if failed else 'yes'} | "
                     f"{0.0 if failed else compile_s:.4f} | {stats['mean_time_ms']:.3f} | "
                     f"{stats['std_time_ms']:.3f} | {stats['min_time_ms']:.3f} | "
                     f"{stats['max_time_ms']:.3f} | {note} |")
    u.add_json(f"reports/compilation/{stem}.json", {
        "generated_at": generated,
        "model": {"name": net, "device": device, "dtype": "torch.float32", "batch_size": 4},
        "settings": {"runs": 10, "warmup_runs": 3, "backends": list(_BACKENDS[device])},
        "backends": backends}, indent=None)
    u.add(f"reports/compilation/{stem}.md",
          f"# Compilation Benchmark Report - Generated: {generated}\n- Model: {net}\n"
          f"- Device: {device}\n- DType: torch.float32 | Backend | Success | Compile Time (s) | "
          "Mean (ms) | Std (ms) | Min (ms) | Max (ms) | Notes |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(lines) + "\n")


def _timing(u: Unit, mean: float, samples: int) -> dict:
    return {"samples": samples, "p50_ms": mean * 0.998, "p95_ms": mean * 1.015,
            "p99_ms": mean * 1.02, "mean_ms": mean, "stdev_ms": mean * 0.01}


_ENV = {"python_version": "3.13.1", "os": "Windows", "cuda_available": True,
        "gpu_name": "NVIDIA GeForce RTX 4080 Laptop GPU", "gpu_count": 1}


def timing_baselines(u: Unit) -> None:
    """A timing baseline (overall + per-run stats) and a demo-inference timing, epoch-named."""
    name = ("comprehensive_baseline", "demo_baseline", "inference_baseline")[u.occurrence % 3]
    epoch = u.epoch(21)
    mean = u.jitter(15.5, 0.3)
    runs = [_timing(u, u.jitter(mean, 0.005), 20) for _ in range(3)]
    u.add_json(f"csv_data/baselines/{name}_{epoch}.json", {
        "test_name": name, "runs": 3, "samples_per_run": 20,
        "timing_stats": {"overall_mean_ms": mean, "overall_stdev_ms": mean * 0.004,
                         "run_results": runs,
                         "latency_percentiles": {"p50": mean, "p95": mean * 1.005,
                                                 "p99": mean * 1.01},
                         "cv_percent": 0.36, "outliers_detected": 0},
        "environment": _ENV, "timestamp": epoch + 0.5}, indent=None)
    u.add_json(f"csv_data/demo_inference_{epoch - 2}.json", {
        "benchmark_name": "demo_inference", "timestamp": epoch - 2,
        "timing": _timing(u, u.jitter(0.072, 0.05), 10), "environment": _ENV}, indent=None)


def telemetry(u: Unit) -> None:
    """System/GPU samples (name-stamped) and an ML-metrics export with no inference data."""
    samples = []
    for i in range(3):
        when = u.at(13) + dt.timedelta(seconds=3 * i)
        samples.append({"timestamp": when.timestamp(), "datetime": when.isoformat(),
                        "system": {"cpu_percent": round(u.jitter(12, 0.3), 1),
                                   "memory_percent": round(u.jitter(70, 0.1), 1),
                                   "memory_used_gb": u.jitter(11, 0.1), "memory_total_gb": 15.63,
                                   "disk_usage_percent": 54.0},
                        "gpu": [] if i == 0 else [{
                            "gpu_id": 0, "name": "NVIDIA GeForce RTX 4080 Laptop GPU",
                            "temperature": 48 + i, "power_draw": u.jitter(30, 0.2),
                            "utilization_gpu": 10 * i, "memory_used_mb": u.jitter(4600, 0.1),
                            "memory_total_mb": 12282.0}],
                        "ollama": {"process_count": 2}})
    u.add_json(f"csv_data/chimera_metrics_{u.stamp(13, '_')}.json", {
        "export_datetime": (u.at(13) + dt.timedelta(seconds=9)).isoformat(),
        "metrics_count": len(samples), "metrics": samples}, indent=None)
    u.add_json(f"{u.undated('reports/llama3')}/baseline_ml_metrics.json", {
        "export_datetime": u.at(19).isoformat(), "total_inferences": 0,
        "overall_performance": {"error": "No inference data available"}, "raw_metrics": []},
        indent=None)


def odd_kinds(u: Unit) -> None:
    """Kernel and quantization results (undated), agent demos (name-stamped)."""
    folder = u.undated("reports")
    u.add_json(f"{folder}/kernel_optimization/kernel_benchmarks.json", {
        "attention": {"torch": {"mean_time_ms": u.jitter(24.6), "std_time_ms": 73.1,
                                "min_time_ms": 0.17, "max_time_ms": 244.0}},
        "fusion": {"fused_linear_gelu": {"mean_time_ms": u.jitter(0.049), "std_time_ms": 0.0097,
                                         "min_time_ms": 0.039, "max_time_ms": 0.072}}}, indent=None)
    quant = {k: {"accuracy": a, "loss": u.jitter(0.6, 0.1), "model_size_bytes": b}
             for k, a, b in (("baseline", 0.75, 2781), ("qat", 0.375, 3789), ("int8", 0.75, 3029))}
    u.add_json(f"{folder}/quantization/quantization_report.json", quant, indent=None)
    u.add(f"{folder}/quantization/quantization_report.md", "# Quantization Benchmark" + "".join(
        f" ## {k.upper()}\n- Accuracy: {v['accuracy']:.4f}\n- Loss: {v['loss']:.4f}\n"
        f"- Model Size Bytes: {v['model_size_bytes']}" for k, v in quant.items()) + "\n")
    u.add_json(f"reports/ascii_demo_{u.stamp(14, '_')}.json", {
        "demo_timestamp": u.at(14).isoformat(), "cycles_completed": 5, "anomalies_detected": 3,
        "actions_taken": 2, "success_rate": 0.15, "patterns_discovered": ["latency spikes"]})
    u.add_json(f"reports/self_healing_results_{u.stamp(13, '_')}.json", {
        "timestamp": u.at(13).isoformat(sep=" "), "anomalies_detected": 2,
        "actions_taken": [{"action_id": "rollback", "strategy": "config_rollback",
                           "status": "completed", "metrics_before": {"latency_ms": 26.7},
                           "metrics_after": {"latency_ms": 1024.0}}]}, indent=None)


def nsight(u: Unit) -> None:
    """Nsight Compute export with a units row and Indian digit grouping, plus the UTF-16
    error message a failed export left behind under a .csv name."""
    folder = u.undated("reports")
    header = ["ID", "Process ID", "Process Name", "Kernel Name", "device__attribute_clock_rate",
              "device__attribute_l2_cache_size", "gpu__time_duration.sum",
              "launch__registers_per_thread", "sm__warps_active.avg.pct_of_peak_sustained_active"]
    units = ["", "", "", "", "", "", "us", "register/thread", "%"]
    rows = [units] + [[i, 24004, "ollama.exe", f"void kernel_{i}<1>(const float *, int)",
                       "22,80,000", "5,03,31,648", f"{u.jitter(9.4, 0.2):.6f}", 21,
                       f"{u.jitter(75.7, 0.05):.6f}"] for i in range(2)]
    u.add(f"{folder}/ncu_ollama_raw.csv", csv_text(header, rows, quote_all=True))
    message = ("==ERROR== the argument for option '--page' is invalid. "
               "Use --help for further details.\n")
    u.add(f"{folder}/ncu_summary.csv",
          "ÿþ".encode() + message.encode("utf-16-le"))


def multiagent_artifacts(u: Unit) -> None:
    """The artifacts/ folder: a multi-agent sweep CSV and two short undated summaries."""
    folder = u.undated("artifacts")
    rows = []
    for gpu in (80, 120):
        for ctx in (512, 1024):
            speed = u.jitter(1.5, 0.1)
            rows.append(["chimera_homo", f"results\\gpu{gpu}_ctx{ctx}", gpu, ctx, 0.8, gpu, ctx,
                         0.8, speed, speed * 50, u.jitter(1.0, 0.5), u.jitter(-8000, 0.2),
                         "http://localhost:11434", "http://localhost:11435"])
    u.add(f"{folder}/rust_multiagent_summary.csv", csv_text(
        ["scenario", "output_dir", "agent_a_num_gpu", "agent_a_num_ctx", "agent_a_temperature",
         "agent_b_num_gpu", "agent_b_num_ctx", "agent_b_temperature", "speedup", "efficiency",
         "throughput_delta", "ttft_delta_ms", "agent_a_url", "agent_b_url"], rows))
    avg = sum(r[8] for r in rows) / len(rows)
    u.add(f"{folder}/rust_multiagent_summary.md",
          f"# Rust Multi-Agent Benchmark Summary\n\n## chimera_homo ({len(rows)} runs)\n"
          f"- Avg speedup: {avg:.2f}x | Avg efficiency: {avg * 50:.1f}%\n")
    u.add(f"{folder}/rust_vs_python_sweep_analysis.md",
          "# Rust vs Python sweep\n\n- Runs compared: 4\n- Mean speedup: "
          f"{avg:.2f}x\n")
