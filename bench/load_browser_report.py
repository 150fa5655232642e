"""The browser load bench's section of bench/REPORT.md: the reviewer processes' reports summed up per interaction,
and the section rendered (latencies, the replicas' memory and CPU, memory per open job, throughput, the replay of
the event log, errors) between `<!-- load:start:browser-replicas -->` and `<!-- load:end:browser-replicas -->`.
"""

from __future__ import annotations

from collections import defaultdict

from bench.browser_processes import VIEWPORT
from bench.browser_report import percentile
from deploy.cluster import REPLICA_NAMES

SECTION = "browser-replicas"  # bench/load_report.py's marker: <!-- load:start:browser-replicas -->


def summarize(reports: list[dict]) -> tuple[dict[str, list[float]], list[dict]]:
    samples: dict[str, list[float]] = defaultdict(list)
    errors: list[dict] = []
    for report in reports:
        for key, values in report.get("samples", {}).items():
            samples[key] += values
        errors += [{**e, "user": report.get("user")} for e in report.get("errors", [])]
        if "fatal" in report:
            errors.append(
                {"key": "session", "message": report["fatal"].strip().splitlines()[-1], "user": report.get("user")}
            )
    return samples, errors


def ms(value: float) -> str:
    return f"{value:,.0f} ms"


def render(run: dict) -> str:
    lines = [
        f"<!-- load:start:{SECTION} -->",
        "## Reviewers in Chromium through the proxy: two replicas (python -m bench.load_browser)",
        "",
    ]
    lines.append(
        f"{run['started']}: {run['sessions']} Chromium sessions (each a browser process of its own, "
        f"{VIEWPORT['width']} × {VIEWPORT['height']}) reviewed `{run['job']}` ({run['job_results']:,} results, "
        f"the demo store in PostgreSQL) for {run['duration']:.0f} s through HAProxy (deploy/haproxy.cfg) in front of "
        "two Streamlit replicas sharing one data folder; the sessions alternate between the replicas by the sticky "
        "cookie, as round robin places new browsers, each signed in with an account of its own. "
        f"Machine: {run['machine']['CPU']}, {run['machine']['cores']}, {run['machine']['RAM']}; the replicas, "
        "HAProxy, PostgreSQL and every Chromium share it. Load average (`uptime`) at start "
        f"{run['load_start']}, at the end {run['load_end']}. Command: `{run['command']}`."
    )
    lines += ["", "| interaction | n | p50 | p95 | max | errors |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    error_counts: dict[str, int] = defaultdict(int)
    for e in run["errors"]:
        error_counts[e["key"]] += 1
    everything: list[float] = []
    for key, values in run["samples"].items():
        if key.endswith("(first)"):
            continue
        everything += values
    keys = list(run["samples"]) + [k for k in error_counts if k not in run["samples"]]
    for key in keys:
        values = run["samples"].get(key, [])
        stats = (
            f"{ms(percentile(values, 50))} | {ms(percentile(values, 95))} | {ms(max(values))}"
            if values
            else "n/a | n/a | n/a"
        )
        lines.append(f"| {key} | {len(values):,} | {stats} | {error_counts.get(key, 0)} |")
    if everything:
        lines.append(
            f"| **every interaction under load** | {len(everything):,} | "
            f"**{ms(percentile(everything, 50))}** | **{ms(percentile(everything, 95))}** | "
            f"{ms(max(everything))} | {sum(v for k, v in error_counts.items() if k != 'recover')} |"
        )
    lines += [
        "",
        "Memory (RSS, MiB) and CPU of each replica:",
        "",
        "| replica | sessions | idle | after the probe opened every job | sessions open | peak under load | "
        "end of load | browsers closed | per session (open / end) | CPU under load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in REPLICA_NAMES:
        r = run["rss"]
        n = run["sessions_on"].get(name, 0)
        per_open = (r["sessions_open"][name] - r["jobs_opened"][name]) / n if n else float("nan")
        per_end = (r["end"][name] - r["jobs_opened"][name]) / n if n else float("nan")
        cpu = run["cpu_s"].get(name, float("nan"))
        lines.append(
            f"| {name} | {n} | {r['idle'][name]:,.0f} | {r['jobs_opened'][name]:,.0f} | "
            f"{r['sessions_open'][name]:,.0f} | {r['peak'][name]:,.0f} | {r['end'][name]:,.0f} | "
            f"{r['closed'][name]:,.0f} | {per_open:,.1f} / {per_end:,.1f} | "
            f"{cpu:,.1f} s ({100 * cpu / run['cpu_window_s']:.0f}% of a core) |"
        )
    first = run["jobs_memory"][REPLICA_NAMES[0]]
    lines += [
        "",
        "Memory per open job (a probe session opens Visualize of each job in turn; RSS of the replica "
        "after each, MiB):",
        "",
        "| replica | "
        + " | ".join(f"{job}" + (f" ({results:,})" if results else "") for job, results, _ in first)
        + " |",
        "| --- |" + " ---: |" * len(first),
    ]
    for name in REPLICA_NAMES:
        lines.append(f"| {name} | " + " | ".join(f"{mib:,.0f}" for _, _, mib in run["jobs_memory"][name]) + " |")
    lines.append("")
    replay = "PASS" if not run["replay_problems"] else "FAIL: " + "; ".join(run["replay_problems"][:5])
    replicas_cpu = sum(run["cpu_s"].get(n, 0) for n in REPLICA_NAMES)
    notes = [
        f"throughput: {len(everything):,} timed interactions in {run['session_s']:.0f} s per session "
        f"({len(everything) / run['session_s']:.1f}/s over {run['sessions']} sessions; a session finishes the "
        f"step it is in at the deadline); {run['events']:,} review events recorded during the load, "
        f"{run['moved']:,} results moved",
        f"event log replayed from all-pending against the states (bench/load_browser_replay.py): {replay}",
        f"CPU over the first {run['cpu_window_s']:.0f} s of the load: replicas {replicas_cpu:,.1f} s, HAProxy "
        f"{run['cpu_s'].get('haproxy', 0):,.1f} s, the browsers (Chromium and Playwright) "
        f"{run['browsers_cpu_s']:,.1f} s, of {2 * run['cpu_window_s']:,.0f} core-seconds"
        + (
            ": the browsers, which reviewers run on machines of their own, took more than the replicas, so the "
            "latencies here are an upper bound"
            if run["browsers_cpu_s"] > replicas_cpu
            else ""
        ),
        f"rounds per session: {', '.join(str(r) for r in run['rounds'])}; results another session decided while "
        f"one had them in its viewer (no A to press: the round went on): {run['decided_elsewhere']}; steps whose "
        f"outcome showed without a `running` state seen (done, not timed): {run['unobserved']}; clicks that started "
        f"no rerun and were done again: {run['lost_clicks']}",
        "per session = (RSS with the sessions open, or at the end of the load, − RSS after the probe opened every "
        "job) / sessions on the replica: a session's own state (widgets, picks, the page's cached views); a job's "
        "frame is cached once per replica (st.cache_resource, 4 jobs at most), whatever the number of sessions",
    ]
    if run["errors"]:
        examples = "; ".join(f"{e.get('user')} {e['key']}: {e['message']}" for e in run["errors"][:5])
        notes.append(
            f"{len(run['errors'])} errors (the session reloaded and signed in again after each), e.g. " + examples
        )
    else:
        notes.append("errors: none")
    lines += [f"- {note}" for note in notes]
    lines += [f"<!-- load:end:{SECTION} -->", ""]
    return "\n".join(lines)
