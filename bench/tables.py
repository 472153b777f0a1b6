"""The tables of bench/ingest.py: medians over interleaved rounds, ratios to the reference in each round."""

from statistics import median


def report(name, connections, number, result):
    print(
        f"  r{number} {name:<34} c={connections:<3} {result['rate']:8.0f}/s  "
        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  {result['statuses']}"
        + (f"  rows {result['rows']}" if "rows" in result else ""),
        flush=True,
    )


def summary(runs, reference_runs=None):
    """Medians over the rounds; the ratio is the median of the per-round ratios, with its range."""
    row = {
        "rate": median([run["rate"] for run in runs]),
        "p50": median([run["p50_ms"] for run in runs]),
        "p99": median([run["p99_ms"] for run in runs]),
        "p99_worst": max(run["p99_ms"] for run in runs),
        "2xx": sum(run["2xx"] for run in runs),
        "answered": sum(run["answered"] for run in runs),
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "rows": sum(run.get("rows", 0) for run in runs),
        "unique": sum(run.get("unique", 0) for run in runs),
        "hits": sum(int(run["statuses"].get("x-cache-HIT", 0)) for run in runs),
    }
    if reference_runs is not None:
        ratios = [run["rate"] / reference["rate"] for run, reference in zip(runs, reference_runs, strict=True)]
        row.update(ratio=median(ratios), ratio_low=min(ratios), ratio_high=max(ratios))
    return row


def ratio_cell(row):
    return f"{row['ratio']:.2f} ({row['ratio_low']:.2f}–{row['ratio_high']:.2f})"


def print_tables(ingest, redeliveries, reads, pages, args):
    print(
        f"Medians of {args.rounds} interleaved rounds of {args.seconds} s; ratio = median of the per-round "
        "ratios (lowest–highest)."
    )
    if ingest:
        print_ingest(ingest, redeliveries, args)
    if reads:
        print_reads(reads, pages)


def print_ingest(ingest, redeliveries, args):
    print()
    print(
        "| run | connections | requests/s | p50 ms | p99 ms (worst round) | × minimal receiver | × trivial view "
        "| 2xx answered | non-2xx | rows stored (distinct delivery ids) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for connections, results in ingest.items():
        for name, runs in results.items():
            row = summary(runs, results["minimal receiver"])
            trivial = summary(runs, results["trivial view"])
            rows = "–" if name == "trivial view" else f"{row['rows']:,} ({row['unique']:,} ids)"
            print(
                f"| {name} | {connections} | {row['rate']:,.0f} | {row['p50']:.1f} | {row['p99']:.1f} "
                f"({row['p99_worst']:.1f}) | {ratio_cell(row)} | {trivial['ratio']:.2f} | {row['2xx']:,} "
                f"| {row['non_2xx']} | {rows} |"
            )
    duplicates = redeliveries["statuses"].get("200", 0)
    print(
        f"| full receiver, 10 % redeliveries | {args.connections[0]} | {redeliveries['rate']:,.0f} "
        f"| {redeliveries['p50_ms']:.1f} | {redeliveries['p99_ms']:.1f} | – | – | {redeliveries['2xx']:,} "
        f"({duplicates:,} × 200 duplicate) | {redeliveries['non_2xx']} "
        f"| {redeliveries['rows']:,} ({redeliveries['unique']:,} ids) |"
    )


def print_reads(reads, pages):
    print()
    for page, facts in pages.items():
        print(
            f"{page} page: {facts['size']:,} bytes, {facts['gzipped']:,} gzip-compressed "
            f"({facts['size'] / facts['gzipped']:.1f}:1)"
        )
    print()
    print(
        "| page | run | connections | requests/s | p50 ms | p99 ms (worst round) | × minimal cache view "
        "| X-Cache HIT | statuses |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (page, connections), results in reads.items():
        for name, runs in results.items():
            row = summary(runs, results["minimal cache view"])
            hits = f"{row['hits']:,} of {row['answered']:,}" if row["hits"] else "–"
            statuses = sorted({key for run in runs for key in run["statuses"] if key.isdigit()})
            print(
                f"| {page} | {name} | {connections} | {row['rate']:,.0f} | {row['p50']:.1f} | {row['p99']:.1f} "
                f"({row['p99_worst']:.1f}) | {ratio_cell(row)} | {hits} | {', '.join(statuses)} |"
            )
