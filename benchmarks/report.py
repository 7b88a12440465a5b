"""The results as markdown tables (timings, peak memory, checks) and as a JSON-ready dict."""

from __future__ import annotations

import dataclasses

CLOCK_NAMES = {"wall": "wall clock", "process": "process CPU time"}


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "–"
    for scale, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def fmt_ratio(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}×"


def timing_record(row, stats: dict, ratios: dict) -> dict:
    target = dataclasses.asdict(row.target) if row.target else None
    met = row.target.met(ratios) if row.target and stats else None
    record = {
        "name": row.name,
        "group": row.group,
        "what": row.what,
        "unit": row.unit,
        "per": row.per,
        "note": row.note,
        "skip": row.skip,
        "target": target,
        "met": met,
        "stats": stats,
        "ratios": ratios,
    }
    if row.flops:
        record["gflops"] = {side: row.flops / s["median"] / 1e9 for side, s in stats.items()}
    return record


def memory_record(row, peaks: dict) -> dict:
    ours, ref = peaks.get("ours"), peaks.get("ref")
    return {
        "name": row.name,
        "group": row.group,
        "what": row.what,
        "note": row.note,
        "skip": row.skip,
        "peak_bytes": peaks,
        "ratio_ref": ours / ref if ours is not None and ref else None,
    }


def _median(record: dict, side: str):
    s = record["stats"].get(side)
    return s["median"] if s else None


def timing_table(records: list[dict], ref_name: str) -> str:
    lines = [
        f"| workload | ours | ours min–max | {ref_name} | torch | ours/{ref_name} | ours/torch "
        "| target | met | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in records:
        per = f"/{r['unit']}" if r["unit"] == "op" else ""
        if r["skip"]:
            lines.append(
                f"| {r['name']} | skipped: {r['skip']} | | | | | | "
                f"{r['target']['label'] if r['target'] else ''} | | |"
            )
            continue
        ours = r["stats"].get("ours")
        spread = f"{fmt_time(ours['min'])}–{fmt_time(ours['max'])}" if ours else "–"
        notes = [r["note"]] if r["note"] else []
        if "gflops" in r:
            names = {"ref": ref_name}
            notes.append(
                ", ".join(
                    f"{names.get(side, side)} {v:.0f} GFLOP/s" for side, v in r["gflops"].items()
                )
            )
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        lines.append(
            f"| {r['name']} | {fmt_time(_median(r, 'ours'))}{per if ours else ''} | {spread} "
            f"| {fmt_time(_median(r, 'ref'))} | {fmt_time(_median(r, 'torch'))} "
            f"| {fmt_ratio(r['ratios'].get('ref'))} | {fmt_ratio(r['ratios'].get('torch'))} "
            f"| {r['target']['label'] if r['target'] else ''} | {met} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def memory_table(records: list[dict], ref_name: str) -> str:
    lines = [
        f"| workload | ours peak | {ref_name} peak | torch peak | ours/{ref_name} | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in records:
        if r["skip"]:
            lines.append(f"| {r['name']} | skipped: {r['skip']} | | | | |")
            continue
        p = r["peak_bytes"]
        lines.append(
            f"| {r['name']} | {fmt_bytes(p.get('ours'))} | {fmt_bytes(p.get('ref'))} "
            f"| {fmt_bytes(p.get('torch'))} | {fmt_ratio(r['ratio_ref'])} | {r['note']} |"
        )
    return "\n".join(lines)


def checks_text(checks: dict) -> str:
    lines = []
    for name, problems in checks["float32"].items():
        if isinstance(problems, str):
            lines.append(f"- float32 {name}: {problems}")
        elif problems:
            lines.append(f"- float32 {name}: **FAIL**: " + "; ".join(problems))
        else:
            lines.append(f"- float32 {name}: ok (parameters, activations and gradients)")
    for name, diffs in checks["agreement"].items():
        shown = ", ".join(f"{pair} {d:.1e}" for pair, d in diffs.items()) or "nothing to compare"
        bad = any(d > checks["tolerance"] for d in diffs.values())
        lines.append(
            f"- gradients {name}: {'**FAIL**: ' if bad else ''}{shown} "
            f"(max relative difference, tolerance {checks['tolerance']:g})"
        )
    return "\n".join(lines)


def header(machine: dict, options: dict) -> str:
    cpu = f"{machine['cpu']} ({machine['usable_cores']} of {machine['cores']} cores usable)"
    parts = [
        f"- date: {machine['date']}, commit {machine['commit']}",
        f"- machine: {cpu}, {machine['memory_gib']} GiB",
        f"- python {machine['python']}, numpy {machine['numpy']} ({machine['blas']}), "
        f"torch {machine['torch'] or 'not installed'}",
        f"- device: {machine['device']}"
        + (
            f" ({machine['gpu']}, cupy {machine['cupy']}, TF32 {'on' if machine['tf32'] else 'off'}"
            " on both sides)"
            if machine.get("gpu")
            else ""
        ),
        f"- threads: BLAS {machine['blas_threads']}"
        + (
            ""
            if machine["threads_pinned_before_import"]
            else " (set after NumPy was imported: may not apply)"
        )
        + f", torch {machine['torch_threads']}",
        f"- {options['repeat']} interleaved rounds per row, ~{options['sample_s'] * 1e3:g} ms a "
        f"sample, {CLOCK_NAMES[options['clock']]}; medians"
        f"{' (quick run)' if options['quick'] else ''}",
        f"- load average (1, 5, 15 min) at start {machine['load_average_start']}, "
        f"at end {machine.get('load_average_end')}",
    ]
    return "\n".join(parts)


def markdown(result: dict) -> str:
    ref_name = result["options"]["ref_name"]
    out = [header(result["machine"], result["options"]), ""]
    if result["rows"]:
        out += ["### Time", "", timing_table(result["rows"], ref_name), ""]
    if result["memory"]:
        out += ["### Peak memory per step", "", memory_table(result["memory"], ref_name), ""]
    if result["checks"]:
        out += ["### Checks", "", checks_text(result["checks"]), ""]
    return "\n".join(out)
