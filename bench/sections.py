"""The sections of `bench/run` beyond the side-by-side comparison (issue 8): makespan, wire,
scale and stack loading. Each returns (key, markdown). Standard library only."""

import json
import os
import re
import shutil
import subprocess
import time


def _ctx():
    import __main__ as run  # bench/run: Runner, BenchError, make_stack, formatting helpers
    return run


def timings(stderr_path):
    """The `[timing] stage  N ms` lines of STRATA_TIMINGS=1, summed per stage (ms)."""
    out = {}
    try:
        with open(stderr_path, errors="replace") as f:
            for line in f:
                m = re.match(r"\[timing\] (.+?)\s+([0-9.]+) ms", line)
                if m:
                    out[m.group(1).strip()] = out.get(m.group(1).strip(), 0) + float(m.group(2))
    except OSError:
        pass
    return out


def best_of(runner, n, name, argv, cwd, env):
    """(best seconds, its RSS, its stdout, its timings) of n runs."""
    best = None
    for i in range(n):
        t, rss, text = runner.run(f"{name}-{i}", argv, cwd, env)
        if best is None or t < best[0]:
            best = (t, rss, text, timings(os.path.join(runner.logs, f"{name}-{i}.err")))
    return best


def machine_line(info):
    return (f"- machine: `{info['uname']}`, nproc {info['nproc']}; strata `{info['strata']}` (`{info['strata_bin']}`); "
            f"terraform `{info['terraform']}`; other builds may have been running (2 cores shared)")


def fmt_ratio(x):
    return "—" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def load_baseline(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_baseline(path, section, label, figures):
    data = load_baseline(path)
    data[section] = {"label": label, "figures": figures}
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------------------------------------
# Makespan


def makespan(a, runner, strata, env_base, out, info, tools):
    run = _ctx()
    ms = run.make_stack
    rows = []
    for shape in a.shapes:
        for size in a.makespan_sizes:
            width = max(1, -(-size // a.makespan_layers))
            graph = ms.make_graph(size, width=width, shape=shape, latency_dist="heavy", seed=a.seed, edges=a.edges)
            cp, work = graph.critical_path_ms() / 1000, graph.total_ms() / 1000
            for p in a.makespan_parallelism:
                row = {"shape": shape, "n": size, "p": p, "cp": cp, "work_p": work / p, "bound": max(cp, work / p),
                       "edges": graph.edges(), "width": width}
                tag = f"makespan-{shape}-{size}-p{p}"
                if strata:
                    stack = os.path.join(out, f"strata-{tag}")
                    run.fresh_dir(stack)
                    ms.write_graph_stacks(graph, stack)
                    env = run.strata_env(env_base, stack)
                    env["STRATA_TIMINGS"] = "1"
                    state = os.path.join(stack, ".strata", "state.db")
                    os.makedirs(os.path.dirname(state), exist_ok=True)
                    run.log(f"Strata makespan {shape} N={size} P={p}: bound {row['bound']:.2f} s")
                    runner.run(f"{tag}-strata-validate", [strata, "validate", stack], stack, env)  # compile, not timed
                    t, _, _ = runner.run(f"{tag}-strata-apply", [strata, "apply", stack, "--auto-approve", "--parallelism", str(p),
                                                                   "--state", state], stack, env)
                    row["strata"] = t
                    row["strata_timings"] = timings(os.path.join(runner.logs, f"{tag}-strata-apply.err"))
                if "terraform" in tools:
                    work_dir = os.path.join(out, f"terraform-{tag}")
                    run.fresh_dir(work_dir)
                    run.make_stack.write_file(os.path.join(work_dir, "main.tf"), ms.terraform_graph_source(graph))
                    common = ["-input=false", "-no-color"]
                    runner.run(f"{tag}-terraform-init", ["terraform", "init"] + common, work_dir, env_base)
                    saved = runner.timeout
                    runner.timeout = a.tf_cap
                    try:
                        t, _, _ = runner.run(f"{tag}-terraform-apply", ["terraform", "apply", "-auto-approve", f"-parallelism={p}"] + common,
                                             work_dir, env_base)
                        row["terraform"] = t
                    except run.BenchError as e:
                        if "timed out" not in str(e):
                            raise
                        row["terraform"] = None
                        row["terraform_capped"] = a.tf_cap
                        run.log(f"  Terraform capped at {a.tf_cap:.0f} s")
                    finally:
                        runner.timeout = saved
                rows.append(row)

    lines = [f"### Makespan — {info['date']}", "", machine_line(info), ""]
    lines.append(f"Heavy-tailed latencies (seed {a.seed}: 98% 50–500 ms log-uniform, 2% 5–20 s), `test` provider vs "
                 "`terraform_data` + `local-exec` `sleep`. Layered: "
                 f"{a.makespan_layers} layers, each resource on two of the layer before; random: each resource on up to "
                 f"{a.edges} random earlier ones. Bound = max(critical path, total work / P); ratio = apply wall time / bound "
                 "(whole `apply` command: stack load, plan, apply). One run each (Terraform runs are long).")
    lines.append("")
    lines.append("| shape | N | P | critical path | work / P | bound | Strata | Strata / bound | Terraform | Terraform / bound | goal |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        st = r.get("strata")
        tf = r.get("terraform")
        sr = st / r["bound"] if st else None
        if tf is not None:
            tr, tft = tf / r["bound"], run.fmt_seconds(tf)
        elif r.get("terraform_capped"):
            tr, tft = None, f"> {r['terraform_capped']:.0f} s (capped)"
        else:
            tr, tft = None, "—"
        cp_bound = r["cp"] >= r["work_p"]
        goal = []
        if sr is not None:
            if cp_bound:
                goal.append("≤ 1.05: " + ("met" if sr <= 1.05 else "**missed**"))
            if tr is not None:
                goal.append("< Terraform: " + ("met" if sr < tr else "**missed**"))
            elif r.get("terraform_capped"):
                capped_ratio = r["terraform_capped"] / r["bound"]
                goal.append("< Terraform: " + ("met" if sr < capped_ratio else "unknown (capped)"))
        trt = fmt_ratio(tr) if tr is not None else (f"> {r['terraform_capped'] / r['bound']:.2f}" if r.get("terraform_capped") else "—")
        lines.append(f"| {r['shape']} | {r['n']} | {r['p']} | {r['cp']:.2f} s{' ◆' if cp_bound else ''} | {r['work_p']:.2f} s{'' if cp_bound else ' ◆'} | "
                     f"{r['bound']:.2f} s | {run.fmt_seconds(st)} | {fmt_ratio(sr)} | {tft} | {trt} | {'; '.join(goal)} |")
    lines.append("")
    lines.append("◆ marks which term is the bound. Strata's own overhead per run (stack load + plan, from `STRATA_TIMINGS`):")
    lines.append("")
    for r in rows:
        t = r.get("strata_timings") or {}
        pre = sum(v for k, v in t.items() if k in ("stack: hash sources", "stack: run + read manifest") or k.startswith(("plan:", "state:")))
        if t:
            lines.append(f"- {r['shape']} N={r['n']} P={r['p']}: {pre / 1000:.2f} s before the first create")
    lines.append("")
    return "makespan", "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Wire


def wire(a, runner, strata, env_base, out, info, tools):
    run = _ctx()
    bindir = os.path.dirname(strata)
    modules = os.path.join(bindir, "Modules")
    exe = os.path.join(out, "wire-bench")
    src = os.path.join(run.BENCH, "wire", "main.swift")
    run.log("Wire: building bench/wire/main.swift (swiftc -O)")
    r = subprocess.run(["swiftc", "-O", "-swift-version", "5", "-I", modules, "-L", bindir, "-lStrataDSL",
                        "-Xlinker", "-rpath", "-Xlinker", bindir, src, "-o", exe], capture_output=True, text=True)
    if r.returncode != 0:
        raise run.BenchError("building bench/wire/main.swift failed:\n" + r.stderr[-3000:])
    plugin = os.path.join(bindir, "strata-provider-test")
    figures = {}

    def parse(text):
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2:
                figures.setdefault(parts[0], []).append(float(parts[1]))

    for i in range(3):
        parse(runner.run(f"wire-codecs-{i}", [exe, "codecs", str(a.wire_iterations)], out, env_base)[2])
        store = os.path.join(out, "wire-store")
        run.fresh_dir(store)
        parse(runner.run(f"wire-pipe-{i}", [exe, "pipe", plugin, store, str(a.wire_round_trips)], out, env_base)[2])

    def best(key, high=False):
        v = figures.get(key)
        return None if not v else (max(v) if high else min(v))

    lines = [f"### Wire — {info['date']}", "", machine_line(info), ""]
    lines.append(f"`bench/wire/main.swift` (built with `swiftc -O` against `libStrataDSL.so`), best of 3. The pipe figures use a "
                 "client shaped like `PluginClient` (whole lines under a lock, one reader thread matching ids) talking to "
                 "`strata-provider-test`; each `read` loads the resource's JSON file from the store.")
    lines.append("")
    lines.append("| figure | value |")
    lines.append("|---|---:|")
    lines.append(f"| plugin start to first answer (`initialize`) | {best('start_to_first_answer_ms'):.1f} ms |")
    lines.append(f"| round trips / s, one pipe, sequential (`read`) | {best('sequential_round_trips_per_s', True):,.0f} |")
    lines.append(f"| round trips / s, one pipe, 64 in flight (`read`) | {best('inflight64_round_trips_per_s', True):,.0f} |")
    lines.append(f"| bytes on the wire per resource: `check` (request + answer) | {best('bytes_check_round_trip'):.0f} B |")
    lines.append(f"| bytes on the wire per resource: `create` | {best('bytes_create_round_trip'):.0f} B |")
    lines.append(f"| bytes on the wire per resource: `read` (each plan with refresh) | {best('bytes_read_round_trip'):.0f} B |")
    lines.append("")
    lines.append(f"JSON paths for one `read` message ({best('bytes_read_request'):.0f} B request, {best('bytes_read_response'):.0f} B answer), "
                 f"µs per message, best of 3 × {a.wire_iterations:,}; ratio = path / the wire's path (ValueJSON):")
    lines.append("")
    lines.append("| path | encode request | ratio | decode answer | ratio |")
    lines.append("|---|---:|---:|---:|---:|")
    base_e, base_d = best("valuejson_encode_us"), best("valuejson_decode_us")
    for label, e, d in [
        ("**ValueEncoding/ValueDecoding + ValueJSON (the wire, kept)**", "valuejson_encode_us", "valuejson_decode_us"),
        ("ValueJSON alone (Value trees, no Codable)", "valuejson_raw_write_us", "valuejson_raw_parse_us"),
        ("JSONEncoder / JSONDecoder", "jsonencoder_encode_us", "jsondecoder_decode_us"),
        ("JSONSerialization, with Value ↔ Any conversion", "jsonserialization_encode_us", "jsonserialization_decode_us"),
        ("JSONSerialization alone (no conversion)", "jsonserialization_encode_noconv_us", "jsonserialization_decode_noconv_us"),
    ]:
        lines.append(f"| {label} | {best(e):.2f} | {best(e) / base_e:.2f}× | {best(d):.2f} | {best(d) / base_d:.2f}× |")
    lines.append("")
    lines.append("libjson-c was not tried: the Codable layer, not the byte parser, is most of the cost (ValueJSON alone is "
                 "already ~2 µs a message), so a C parser could save at most that part.")
    lines.append("")
    return "wire", "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Scale


SCALE_ROWS = [
    ("load", "stack load (cached), `STRATA_TIMINGS`", "s"),
    ("apply", "first apply (create all)", "s"),
    ("apply_rss", "peak RSS, first apply", "rss"),
    ("plan", "no-change plan, with refresh", "s"),
    ("plan_rss", "peak RSS, plan with refresh", "rss"),
    ("plan_norefresh", "no-change plan, `--refresh=false`", "s"),
    ("plan_changed", "no-change plan, `--refresh=changed`", "s"),
    ("change_plan", "one-resource change: plan (refresh)", "s"),
    ("change_plan_changed", "one-resource change: plan `--refresh=changed`", "s"),
    ("change_apply_changed", "one-resource change: apply `--refresh=changed`", "s"),
    ("change_apply", "one-resource change: apply (refresh)", "s"),
    ("change_apply_rss", "peak RSS, one-resource change apply (refresh)", "rss"),
    ("state", "state size after the first apply (SQLite + `-wal`)", "bytes"),
    ("state_end", "state size at the end", "bytes"),
]


def scale_figures(a, runner, strata, env_base, out, size, label):
    run = _ctx()
    stack = os.path.join(out, f"scale-{label}-{size}")
    run.fresh_dir(stack)
    run.make_stack.write_stacks(size, 100, 0, stack)
    env = run.strata_env(env_base, stack)
    env["STRATA_TIMINGS"] = "1"
    state = os.path.join(stack, ".strata", "state.db")
    os.makedirs(os.path.dirname(state), exist_ok=True)
    st = ["--state", state]
    r = {}
    name = f"scale-{label}-{size}"
    runner.run(f"{name}-validate", [strata, "validate", stack], stack, env)
    t, _, _, tm = best_of(runner, 1, f"{name}-validate-cached", [strata, "validate", stack], stack, env)
    r["load"] = (tm.get("stack: hash sources", 0) + tm.get("stack: run + read manifest", 0)) / 1000
    r["apply"], r["apply_rss"], _ = runner.run(f"{name}-apply", [strata, "apply", stack, "--auto-approve"] + st, stack, env)
    r["state"] = run.file_size(state) + run.file_size(state + "-wal")
    r["apply_timings"] = timings(os.path.join(runner.logs, f"{name}-apply.err"))
    r["plan"], r["plan_rss"], text = runner.run(f"{name}-plan", [strata, "plan", stack] + st, stack, env)
    r["plan_timings"] = timings(os.path.join(runner.logs, f"{name}-plan.err"))
    run.check_no_changes("strata plan", text, size)
    r["plan_norefresh"], _, _ = runner.run(f"{name}-plan-norefresh", [strata, "plan", stack, "--refresh=false"] + st, stack, env)
    try:
        r["plan_changed"], _, _ = runner.run(f"{name}-plan-changed", [strata, "plan", stack, "--refresh=changed"] + st, stack, env)
    except run.BenchError:
        r["plan_changed"] = None  # an older strata without --refresh=changed
    with open(os.path.join(stack, "main.swift"), "a") as f:
        f.write('previous[0].value = "changed"\n')
    runner.run(f"{name}-validate-changed", [strata, "validate", stack], stack, env)  # compile, not timed
    r["change_plan"], _, text = runner.run(f"{name}-change-plan", [strata, "plan", stack] + st, stack, env)
    if "1 to update" not in text:
        run.log(f"  warning: the one-resource change plan does not say '1 to update'")
    try:
        r["change_plan_changed"], _, _ = runner.run(f"{name}-change-plan-changed", [strata, "plan", stack, "--refresh=changed"] + st, stack, env)
        r["change_apply_changed"], _, _ = runner.run(f"{name}-change-apply-changed", [strata, "apply", stack, "--auto-approve", "--refresh=changed"] + st,
                                                     stack, env)
    except run.BenchError:
        # An older strata without --refresh=changed.
        r["change_plan_changed"] = r["change_apply_changed"] = None
        runner.run(f"{name}-change-apply-first", [strata, "apply", stack, "--auto-approve"] + st, stack, env)
    # A second one-resource change, applied with a full refresh.
    with open(os.path.join(stack, "main.swift"), "a") as f:
        f.write('previous[1].value = "changed again"\n')
    runner.run(f"{name}-validate-changed-again", [strata, "validate", stack], stack, env)  # compile, not timed
    r["change_apply"], r["change_apply_rss"], _ = runner.run(f"{name}-change-apply", [strata, "apply", stack, "--auto-approve"] + st, stack, env)
    r["state_end"] = run.file_size(state) + run.file_size(state + "-wal")
    return r


def fmt_figure(kind, v):
    run = _ctx()
    if v is None:
        return "—"
    if kind == "ms":
        return f"{v * 1000:.1f} ms"
    return {"s": run.fmt_seconds, "rss": run.fmt_rss, "bytes": run.fmt_bytes}[kind](v)


def comparison_table(rows, current, baseline, baseline_label):
    lines = [f"| figure | now | baseline ({baseline_label}) | now / baseline |", "|---|---:|---:|---:|"]
    for key, label, kind in rows:
        now, before = current.get(key), (baseline or {}).get(key)
        ratio = f"{now / before:.2f}×" if now is not None and before else "—"
        lines.append(f"| {label} | {fmt_figure(kind, now)} | {fmt_figure(kind, before)} | {ratio} |")
    return lines


def scale(a, runner, strata, env_base, out, info, tools):
    run = _ctx()
    base_path = os.path.join(run.BENCH, "baseline.json")
    if a.baseline_bin:
        run.log(f"Scale baseline with {a.baseline_bin}")
        figures = scale_figures(a, runner, a.baseline_bin, env_base, out, a.scale_size, "baseline")
        save_baseline(base_path, f"scale-{a.scale_size}", a.baseline_label, figures)
    base = load_baseline(base_path).get(f"scale-{a.scale_size}", {})
    run.log(f"Scale, N={a.scale_size}")
    r = scale_figures(a, runner, strata, env_base, out, a.scale_size, "now")
    lines = [f"### Scale, N = {a.scale_size:,} (Strata alone) — {info['date']}", "", machine_line(info), ""]
    lines.append("Layered stack (width 100), `test` provider, no latency; one run each (wall time of the whole command, "
                 "peak RSS of the largest process). The one-resource change sets one resource's `value` (an update). "
                 f"Baseline: {base.get('label', '—')} (`bench/baseline.json`, written by `--baseline-bin`).")
    lines.append("")
    lines += comparison_table(SCALE_ROWS, r, base.get("figures"), base.get("label", "—"))
    lines.append("")
    # Linearity: the same stages at a fifth of the size, per resource.
    small = max(1, a.scale_size // 5)
    run.log(f"Scale, N={small} (linearity check)")
    s = scale_figures(a, runner, strata, env_base, out, small, "now")
    lines.append(f"Per-stage cost per resource at N = {small:,} and N = {a.scale_size:,} (`STRATA_TIMINGS`, µs per resource; "
                 "a ratio near 1.0 is linear, well above 1.0 super-linear):")
    lines.append("")
    lines.append(f"| command: stage | N = {small:,} | N = {a.scale_size:,} | ratio |")
    lines.append("|---|---:|---:|---:|")
    for cmd, key, wall in (("first apply", "apply_timings", "apply"), ("plan", "plan_timings", "plan")):
        stages = sorted(set(s.get(key, {})) | set(r.get(key, {})))
        for stage in stages + ["(whole command)"]:
            if stage == "(whole command)":
                x, y = s[wall] * 1e6 / small, r[wall] * 1e6 / a.scale_size
            else:
                x, y = s[key].get(stage, 0) * 1000 / small, r[key].get(stage, 0) * 1000 / a.scale_size
            if x < 0.5 and y < 0.5:
                continue
            lines.append(f"| {cmd}: {stage} | {x:.1f} | {y:.1f} | {y / x if x else float('nan'):.2f} |")
    lines.append("")
    return f"scale-{a.scale_size}", "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Stack loading


def stack_figures(a, runner, strata, env_base, out, label):
    run = _ctx()
    res = {}
    targets = [("Demo", os.path.join(run.REPO, "Stacks", "Demo"))] + [(str(n), None) for n in a.stack_sizes]
    for name, path in targets:
        work = os.path.join(out, f"stacks-{label}-{name}")
        run.fresh_dir(work)
        if path is None:
            run.make_stack.write_stacks(int(name), 100, 0, work)
            path = work
        env = run.strata_env(env_base, work)
        env["STRATA_TIMINGS"] = "1"
        tag = f"stacks-{label}-{name}"
        cold, _, _ = runner.run(f"{tag}-cold", [strata, "validate", path], work, env)
        run.drop_compiled_stacks(env)
        warm, _, _ = runner.run(f"{tag}-warm", [strata, "validate", path], work, env)
        t, _, _, tm = best_of(runner, 3, f"{tag}-cached", [strata, "validate", path], work, env)
        load = (tm.get("stack: hash sources", 0) + tm.get("stack: run + read manifest", 0)) / 1000
        res[name] = {"cold": cold, "warm": warm, "validate": t, "load": load, "run": tm.get("stack: run program", 0) / 1000}
    return res


STACK_ROWS = [
    ("cold", "cold compile (`validate`, empty cache)", "s"),
    ("warm", "compile, Swift module cache warm", "s"),
    ("validate", "`validate`, stack cached", "ms"),
    ("load", "cached load (hash + run + read manifest)", "ms"),
    ("run", "… of which the stack program runs", "ms"),
]


def stacks(a, runner, strata, env_base, out, info, tools):
    run = _ctx()
    base_path = os.path.join(run.BENCH, "baseline.json")
    if a.baseline_bin:
        figures = stack_figures(a, runner, a.baseline_bin, env_base, out, "baseline")
        save_baseline(base_path, "stacks", a.baseline_label, figures)
    base = load_baseline(base_path).get("stacks", {})
    r = stack_figures(a, runner, strata, env_base, out, "now")
    lines = [f"### Stack loading — {info['date']}", "", machine_line(info), ""]
    lines.append("`strata validate` on Stacks/Demo and bench stacks of N `test` resources; cached figures best of 3; the load "
                 "figure is `STRATA_TIMINGS` (`stack: hash sources` + `stack: run + read manifest`). Goal: a cached load under 50 ms.")
    lines.append("")
    for name, figs in r.items():
        b = (base.get("figures") or {}).get(name)
        goal = "met" if figs["load"] < 0.05 else "**missed**"
        lines.append(f"**{'Stacks/Demo' if name == 'Demo' else f'N = {int(name):,}'}** (cached load < 50 ms: {goal})")
        lines.append("")
        lines += comparison_table(STACK_ROWS, figs, b, base.get("label", "—"))
        lines.append("")
    return "stacks", "\n".join(lines)


SECTIONS = {"makespan": makespan, "wire": wire, "scale": scale, "stacks": stacks}
