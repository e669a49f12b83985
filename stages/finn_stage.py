"""Shared runner for the FINN stages (streamline, hw, hls, bitstream, driver).

Each stage runs one subset of FINN's build steps on the previous stage's ONNX with
`build_dataflow_cfg(<previous model.onnx>, cfg)` and `cfg.steps = [that subset]` (no start_step, so
no stage reads another stage's intermediate_models/ by convention). After a successful build the
last step's checkpoint is copied to <out>/model.onnx for the next stage.

Step names (resolve_steps): FINN built-ins stay strings; `module:function` imports a custom step; any
other name is one of the FINN-T attention steps in attention_steps.py, whose transformations are all
imported before FINN starts, so a missing one fails the stage at once with its name.

FINN's build never raises: it catches every exception, opens pdb unless enable_build_pdb_debug is
False, and returns -1. So this runner sets enable_build_pdb_debug=False, points stdin at /dev/null
(nothing may ever wait on a terminal), and exits non-zero on -1, on an exception, and when
time_per_step.json (written only after every step succeeded) is missing.

FINN_BUILD_DIR is set to <out>/finn_build, an absolute path inside the stage's own output: from HLS
code generation on, the ONNX holds absolute paths into it (code_gen_dir_ipgen, ip_path,
vivado_stitch_proj, bitfile, ...), so it must be cached and restored with the stage's outputs and
never move (the stages from hls on are marked `absolute_paths: true` in pipeline.yaml).
"""
import argparse
import importlib
import json
import os
import shutil
import sys
import traceback

EXIT_BUILD_FAILED = 1
EXIT_USAGE = 2


def common_parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--input", required=True, help="the previous stage's model.onnx")
    p.add_argument("--out", required=True, help="FINN output_dir of this stage")
    p.add_argument("--steps", nargs="+", required=True, help="FINN build step names, attention steps from attention_steps.py by name, or module:function for custom steps")
    p.add_argument("--board", default=None)
    p.add_argument("--fpga_part", default=None)
    p.add_argument("--shell_flow_type", default="vivado_zynq")
    p.add_argument("--synth_clk_period_ns", type=float, required=True)
    p.add_argument("--verbose", action="store_true")
    return p


def resolve_steps(names):
    """FINN built-in step names stay strings (FINN looks them up); `module:function` imports a custom
    step; any other `step_*` name that FINN does not know is one of ours in attention_steps.py (the
    attention-specific steps of the FINN-T build). Returns (steps, problems)."""
    try:
        from finn.builder.build_dataflow_steps import build_dataflow_step_lookup as builtins
    except ImportError:
        builtins = None  # a FINN without the lookup table: ours are still found by name
    import attention_steps

    steps, ours, problems = [], [], []
    for name in names:
        if ":" in name:
            module, _, func = name.partition(":")
            steps.append(getattr(importlib.import_module(module), func))
        elif (builtins is None or name not in builtins) and attention_steps.lookup(name) is not None:
            steps.append(attention_steps.lookup(name))
            ours.append(name)
        else:
            if builtins is not None and name not in builtins:
                problems.append(f"unknown build step {name}: neither a FINN built-in nor in stages/attention_steps.py")
            steps.append(name)
    # Check every transformation our steps need before FINN runs anything (FINN would only log the
    # ImportError into build_dataflow.log, possibly hours into the build).
    problems += attention_steps.missing_transformations(ours)
    return steps, problems


def fail(stage, message, code=EXIT_BUILD_FAILED):
    print(f"{stage}: {message}", file=sys.stderr)
    return code


def run(stage, args, generate_outputs, extra_cfg, prepare=None):
    """Runs one FINN step subset; returns the process exit code."""
    out = os.path.abspath(args.out)
    if not os.path.isfile(args.input):
        return fail(stage, f"input model {args.input} not found", EXIT_USAGE)
    os.makedirs(out, exist_ok=True)
    build_dir = os.path.join(out, "finn_build")
    os.makedirs(build_dir, exist_ok=True)
    if os.environ.get("FINN_BUILD_DIR") not in (None, "", build_dir):
        print(f"{stage}: FINN_BUILD_DIR={os.environ['FINN_BUILD_DIR']} replaced by {build_dir} (it must lie inside this stage's outputs)")
    os.environ["FINN_BUILD_DIR"] = build_dir
    # Nothing in a headless build may read a terminal (pdb, prompts): give it end-of-file instead.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    if prepare is not None:
        problem = prepare(out)
        if problem:
            return fail(stage, problem, EXIT_USAGE)

    try:
        from finn.builder import build_dataflow as build
        from finn.builder import build_dataflow_config as build_cfg

        kwargs = dict(extra_cfg)
        if args.board:
            kwargs["board"] = args.board
        if args.fpga_part:
            kwargs["fpga_part"] = args.fpga_part
        steps, problems = resolve_steps(args.steps)
        if problems:
            for problem in problems:
                print(f"{stage}: {problem}", file=sys.stderr)
            return fail(stage, f"{len(problems)} problem(s) with the build steps (above); nothing was run")
        cfg = build_cfg.DataflowBuildConfig(
            output_dir=out,
            synth_clk_period_ns=args.synth_clk_period_ns,
            generate_outputs=[build_cfg.DataflowOutputType(o) for o in generate_outputs],
            shell_flow_type=build_cfg.ShellFlowType(args.shell_flow_type),
            steps=steps,
            save_intermediate_models=True,
            enable_build_pdb_debug=False,
            verbose=args.verbose,
            **kwargs,
        )
        status = build.build_dataflow_cfg(args.input, cfg)
    except Exception:
        traceback.print_exc()
        return fail(stage, "the FINN build raised an exception (traceback above)")
    log = os.path.join(out, "build_dataflow.log")
    if status != 0:
        return fail(stage, f"the FINN build failed (build_dataflow_cfg returned {status}); see {log}")
    if not os.path.isfile(os.path.join(out, "time_per_step.json")):
        return fail(stage, f"the FINN build returned {status} but wrote no time_per_step.json, so not every step ran; see {log}")
    last = step_name(cfg.steps[-1])
    checkpoint = os.path.join(out, "intermediate_models", f"{last}.onnx")
    if not os.path.isfile(checkpoint):
        return fail(stage, f"the last step's model {checkpoint} is missing")
    shutil.copyfile(checkpoint, os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "time_per_step.json")) as f:
        seconds = sum(float(v) for v in json.load(f).values())
    print(f"{stage}: {len(cfg.steps)} FINN steps in {seconds:.1f} s -> {out}/model.onnx")
    return 0


def step_name(step):
    return step if isinstance(step, str) else step.__name__
