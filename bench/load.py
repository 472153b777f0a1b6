"""Driving load: wrk runs with their summary, and interleaved rounds of variants."""

import json
import subprocess


def wrk(url, script, args, *, connections, seconds):
    """Run wrk; return the BENCH summary the script prints (statuses, window, latencies)."""
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds + 2}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *[str(arg) for arg in args],
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in result.stdout.splitlines():
        if line.startswith("BENCH "):
            summary = json.loads(line[len("BENCH ") :])
            codes = {key: value for key, value in summary["statuses"].items() if key.isdigit()}
            summary["answered"] = sum(codes.values())
            summary["2xx"] = sum(value for key, value in codes.items() if key.startswith("2"))
            summary["non_2xx"] = summary["answered"] - summary["2xx"]
            summary["rate"] = summary["answered"] / summary["window"] if summary["window"] else 0.0
            return summary
    raise SystemExit(f"bench: wrk printed no summary:\n{result.stdout}\n{result.stderr}")


def interleaved(variants, rounds, run):
    """Run every variant once per round, alternating the order (A B C, C B A, ...).

    On a noisy machine throughput drifts by ±10 % over tens of seconds; short
    runs side by side, in both orders, put each product run next to its
    reference, and the medians of the per-round figures ignore a stray slow round.
    """
    results = {variant[0]: [] for variant in variants}
    for number in range(rounds):
        for variant in variants if number % 2 == 0 else variants[::-1]:
            results[variant[0]].append(run(number, *variant))
    return results
