"""What the real corpus (``../shared/corpus/chimeraforge``) holds, as checked by hand against
its files and MANIFEST.md: the figures every real-corpus test asserts, in one place."""

FILES = 104
DAYS = 9  # benchmark days once undated files fall on their mtime's day
PARSE_STATUSES = {"ok": 99, "duplicate": 4, "error": 1}
UNPARSEABLE = "reports/ncu_summary.csv"  # UTF-16 error text saved as .csv
# mean decode tokens/s of the ok baseline requests (eval_count / eval_duration)
BASELINE_DECODE_TPS = {"gemma3:latest": 102.2, "gemma3:1b-it-qat": 182.9, "gemma3:270m": 283.6}
BASELINE_REQUESTS = 5  # per model
BEST_SWEEP_CONFIG = {"gemma3:1b-it-qat": "g60_c1024_t0.4"}
TENSORRT_COMPILE_S = {"conv_cuda_bench": 17.16, "transformer_cuda_torchtrt": 18.04}
SCANNED_UNDER_REPORTS_AND_CSV_DATA = {"csv": 28, "json": 44, "md": 29}
