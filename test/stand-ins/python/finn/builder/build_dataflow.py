"""STAND-IN for finn.builder.build_dataflow (tests only).

build_dataflow_cfg behaves like FINN's where the stage scripts depend on it (see
test/stand-ins/README.md) and records every call as one JSON line.
"""
import json
import os
import sys
import time
import traceback
from enum import Enum

from qonnx.core.modelwrapper import ModelWrapper

from finn.builder.build_dataflow_steps import build_dataflow_step_lookup


def _jsonable(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if callable(value):
        return f"{value.__module__}:{value.__name__}"
    return value


def _injected_failure():
    spec = os.environ.get("FINN_STANDIN_FAIL")
    if not spec and os.path.isfile(os.path.join(".standin", "fail")):
        with open(os.path.join(".standin", "fail")) as f:
            spec = f.read().strip()
    if not spec:
        return None, None
    step, _, mode = spec.partition(":")
    return step, mode


def _record_call(model_filename, cfg):
    record = {
        "call": "build_dataflow_cfg",
        "model_filename": model_filename,
        "cfg": {k: _jsonable(v) for k, v in vars(cfg).items()},
        "FINN_BUILD_DIR": os.environ.get("FINN_BUILD_DIR"),
        "stdin_isatty": os.isatty(0),
        "cwd": os.getcwd(),
    }
    log = os.environ.get("FINN_STANDIN_LOG") or os.path.join(cfg.output_dir, "standin_calls.jsonl")
    os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
    with open(log, "a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


def _record_step(cfg, name, transformations):
    """One JSON line per finished step: which transformations it applied, in order."""
    with open(os.path.join(cfg.output_dir, "standin_steps.jsonl"), "a") as f:
        f.write(json.dumps({"step": name, "transformations": transformations}) + "\n")


def build_dataflow_cfg(model_filename, cfg):
    os.makedirs(cfg.output_dir, exist_ok=True)
    _record_call(model_filename, cfg)
    fail_step, fail_mode = _injected_failure()
    steps = [build_dataflow_step_lookup[s] if isinstance(s, str) else s for s in (cfg.steps or [])]
    model = ModelWrapper(model_filename)
    os.environ["FINN_BUILD_DIR"]  # FINN reads it unguarded: a KeyError escapes, as here
    if fail_mode == "raise":
        raise RuntimeError("stand-in: build_dataflow_cfg raised before the first step")
    time_per_step = {}
    for step in steps:
        name = step.__name__
        print(f"Running step: {name}")
        try:
            start = time.time()
            applied_before = len(model.model.get("transformations", []))
            if name == fail_step and fail_mode == "exception":
                raise RuntimeError(f"stand-in: injected failure in {name}")
            # Built-in names and callables (custom steps) alike are called with (model, cfg), as FINN does.
            model = step(model, cfg)
            _record_step(cfg, name, model.model.get("transformations", [])[applied_before:])
            time_per_step[name] = round(time.time() - start, 6)
            if cfg.save_intermediate_models:
                os.makedirs(os.path.join(cfg.output_dir, "intermediate_models"), exist_ok=True)
                model.save(os.path.join(cfg.output_dir, "intermediate_models", f"{name}.onnx"))
        except Exception:
            traceback.print_exc()
            if cfg.enable_build_pdb_debug:
                # FINN would open pdb.post_mortem here and wait on the terminal.
                print("stand-in: enable_build_pdb_debug is on: FINN would now wait in pdb", file=sys.stderr)
            print("Build failed")
            return -1
    if fail_mode == "no-time-per-step":
        return 0
    with open(os.path.join(cfg.output_dir, "time_per_step.json"), "w") as f:
        json.dump(time_per_step, f, indent=2)
    print("Completed successfully")
    return 0
