"""STAND-IN for finn.builder.build_dataflow_steps (tests only).

Steps transform a JSON "ONNX" and write FINN-shaped reports with made-up but deterministic numbers
derived from the layers and their folding, so a folding change changes the reports.
"""
import json
import math
import os
import shutil
import tempfile

from finn.builder.build_dataflow_config import DataflowOutputType as Out
from qonnx.core.modelwrapper import ModelWrapper


def _history(model, name):
    model.model["history"].append(name)
    return model


def _report(cfg, name, data):
    os.makedirs(os.path.join(cfg.output_dir, "report"), exist_ok=True)
    with open(os.path.join(cfg.output_dir, "report", name), "w") as f:
        json.dump(data, f, indent=2)


def _mkdtemp(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=os.environ["FINN_BUILD_DIR"])


def _require_path(node_or_model, key, value):
    if not value or not os.path.isabs(value) or not os.path.exists(value):
        raise FileNotFoundError(f"{node_or_model}: {key} {value!r} does not exist (was FINN_BUILD_DIR moved or not restored?)")


def step_qonnx_to_finn(model, cfg):
    if "qonnx_cleanup" not in model.model["history"]:
        raise ValueError("stand-in: expected a cleaned-up QONNX model")
    model.model["format"] = "finn-onnx"
    return _history(model, "step_qonnx_to_finn")


def step_tidy_up(model, cfg):
    return _history(model, "step_tidy_up")


def step_streamline(model, cfg):
    if model.model.get("format") != "finn-onnx":
        raise ValueError("stand-in: step_streamline needs a FINN-ONNX model (run step_qonnx_to_finn first)")
    return _history(model, "step_streamline")


def hw_nodes(model, op_types):
    """The stand-in HW layers of `op_types` for the graph: MVAU per QuantLinear, Thresholding per
    Quant, ScaledDotProductAttention per Softmax, ElementwiseAdd per non-scalar Add."""
    seq = model.model["input_shape"][1]
    counts = {}
    nodes = []

    def add(op, **attrs):
        i = counts.get(op, 0)
        counts[op] = i + 1
        nodes.append({"name": f"{op}_{i}", "op_type": op, "attrs": {"rows": seq, **attrs}})

    for g in model.model["graph"]:
        if g["op"] == "QuantLinear" and "MVAU" in op_types:
            add("MVAU", MW=g["MW"], MH=g["MH"], wbits=g["weight_bit_width"], PE=1, SIMD=1)
        elif g["op"] == "Quant" and "Thresholding" in op_types:
            add("Thresholding", NumChannels=g["shape"][-1], bits=g["bit_width"], PE=1)
        elif g["op"] == "Softmax" and "ScaledDotProductAttention" in op_types:
            add("ScaledDotProductAttention", PE=1)
        elif g["op"] == "Add" and "scalar" not in g and "ElementwiseAdd" in op_types:
            add("ElementwiseAdd", PE=1)
    return nodes


def step_convert_to_hw(model, cfg):
    if "step_streamline" not in model.model["history"]:
        raise ValueError("stand-in: step_convert_to_hw needs a streamlined model")
    # Like FINN's: MVAUs and thresholds only. The attention layers exist only if the attention
    # pattern was converted (InferScaledDotProductAttention), the residual additions only after
    # InferAddStreamsLayer.
    ops = ["MVAU", "Thresholding"]
    if model.model.get("attention_to_hw"):
        ops.append("ScaledDotProductAttention")
    if model.model.get("residual_to_hw"):
        ops.append("ElementwiseAdd")
    model.model["nodes"] = hw_nodes(model, ops)
    return _history(model, "step_convert_to_hw")


def step_create_dataflow_partition(model, cfg):
    # Like FINN's: the parent keeps a StreamingDataflowPartition node pointing at the child (the
    # hardware part, which the step returns). The child is written next to the parent so the
    # relative `model` path resolves from it.
    parent = ModelWrapper(json.loads(json.dumps(model.model)))
    parent.model["nodes"] = [{"name": "StreamingDataflowPartition_0", "op_type": "StreamingDataflowPartition", "attrs": {"model": "supported_op_partitions/partition_0.onnx", "partition_id": 0}}]
    intermediate = os.path.join(cfg.output_dir, "intermediate_models")
    os.makedirs(os.path.join(intermediate, "supported_op_partitions"), exist_ok=True)
    parent.save(os.path.join(intermediate, "dataflow_parent.onnx"))
    model.save(os.path.join(intermediate, "supported_op_partitions", "partition_0.onnx"))
    return _history(model, "step_create_dataflow_partition")


def _load_config(path):
    with open(path) as f:
        return json.load(f)


def _apply(nodes, config, name_of):
    defaults = config.get("Defaults", {})
    for node in nodes:
        for attr, (value, ops) in defaults.items():
            if ops == "all" or node["op_type"] in ops:
                node["attrs"][attr] = value
        for attr, value in config.get(name_of(node), {}).items():
            node["attrs"][attr] = value


def step_specialize_layers(model, cfg):
    preferred = {"MVAU": "rtl", "Thresholding": "rtl"}
    nodes = model.model["nodes"]
    if cfg.specialize_layers_config_file:
        _apply(nodes, _load_config(cfg.specialize_layers_config_file), lambda n: n["name"])
    counts = {}
    for node in nodes:
        style = node["attrs"].pop("preferred_impl_style", None) or preferred.get(node["op_type"], "hls")
        node["op_type"] = f"{node['op_type']}_{style}"
        i = counts.get(node["op_type"], 0)
        counts[node["op_type"]] = i + 1
        node["name"] = f"{node['op_type']}_{i}"
    return _history(model, "step_specialize_layers")


def step_target_fps_parallelization(model, cfg):
    if cfg.target_fps:
        _report_path = os.path.join(cfg.output_dir, "auto_folding_config.json")
        with open(_report_path, "w") as f:
            json.dump({"Defaults": {}}, f, indent=2)
    return _history(model, "step_target_fps_parallelization")


def step_apply_folding_config(model, cfg):
    if cfg.folding_config_file is not None:
        _apply(model.model["nodes"], _load_config(cfg.folding_config_file), lambda n: n["name"])
    for node in model.model["nodes"]:
        a = node["attrs"]
        if node["op_type"].startswith("MVAU"):
            if a["MH"] % a["PE"] or a["MW"] % a["SIMD"]:
                raise AssertionError(f"{node['name']}: MH {a['MH']} % PE {a['PE']} and MW {a['MW']} % SIMD {a['SIMD']} must be 0")
    model.model["folding_config_file"] = cfg.folding_config_file
    return _history(model, "step_apply_folding_config")


def step_minimize_bit_width(model, cfg):
    return _history(model, "step_minimize_bit_width")


def _cycles(node):
    a = node["attrs"]
    if node["op_type"].startswith("MVAU"):
        return a["rows"] * (a["MH"] // a["PE"]) * (a["MW"] // a["SIMD"])
    return a["rows"] * max(1, a.get("NumChannels", 64) // a.get("PE", 1))


def _resources(node):
    a = node["attrs"]
    op = node["op_type"]
    if op.startswith("MVAU"):
        lut = 40 * a["PE"] * a["SIMD"] * a["wbits"] + 300
        bram = math.ceil(a["MW"] * a["MH"] * a["wbits"] / 18432)
        return {"BRAM_18K": bram, "BRAM_efficiency": 0.5, "LUT": lut, "URAM": 0, "URAM_efficiency": 1, "DSP": 0}
    if op.startswith("ScaledDotProductAttention"):
        return {"BRAM_18K": 4 * a["rows"] // 32, "BRAM_efficiency": 0.4, "LUT": 2500 * a["PE"], "URAM": 0, "URAM_efficiency": 1, "DSP": 2}
    if op.startswith("Thresholding"):
        return {"BRAM_18K": 0, "BRAM_efficiency": 1, "LUT": 20 * a.get("NumChannels", 1) // a["PE"] + 50, "URAM": 0, "URAM_efficiency": 1, "DSP": 0}
    return {"BRAM_18K": 0, "BRAM_efficiency": 1, "LUT": 120, "URAM": 0, "URAM_efficiency": 1, "DSP": 0}


def step_generate_estimate_reports(model, cfg):
    if Out.ESTIMATE_REPORTS in cfg.generate_outputs:
        nodes = model.model["nodes"]
        cycles = {n["name"]: _cycles(n) for n in nodes}
        res = {n["name"]: _resources(n) for n in nodes}
        res["total"] = {k: float(sum(r[k] for r in res.values())) for k in ("BRAM_18K", "LUT", "URAM", "DSP")}
        slowest = max(cycles, key=cycles.get)
        ops = {}
        for n in nodes:
            if n["op_type"].startswith("MVAU"):
                a = n["attrs"]
                ops[n["name"]] = {f"op_mac_{a['wbits']}bx{a['wbits']}b": a["rows"] * a["MW"] * a["MH"], f"param_weight_{a['wbits']}b": a["MW"] * a["MH"]}
        total = {}
        for counts in ops.values():
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
        ops["total"] = total
        _report(cfg, "estimate_layer_cycles.json", cycles)
        _report(cfg, "estimate_layer_resources.json", res)
        _report(cfg, "estimate_layer_config_alternatives.json", {k: [v] for k, v in res.items() if k != "total"})
        _report(cfg, "op_and_param_counts.json", ops)
        _report(cfg, "estimate_network_performance.json", {
            "critical_path_cycles": sum(cycles.values()),
            "max_cycles": cycles[slowest],
            "max_cycles_node_name": slowest,
            "estimated_throughput_fps": 1e9 / (cycles[slowest] * cfg.synth_clk_period_ns),
            "estimated_latency_ns": sum(cycles.values()) * cfg.synth_clk_period_ns,
        })
    return _history(model, "step_generate_estimate_reports")


def step_hw_codegen(model, cfg):
    for node in model.model["nodes"]:
        d = _mkdtemp(f"code_gen_ipgen_{node['name']}_")
        with open(os.path.join(d, "top.cpp"), "w") as f:
            f.write(f"// stand-in HLS code for {node['name']} {json.dumps(node['attrs'], sort_keys=True)}\n")
        node["attrs"]["code_gen_dir_ipgen"] = d
    return _history(model, "step_hw_codegen")


def step_hw_ipgen(model, cfg):
    hls = {}
    for node in model.model["nodes"]:
        _require_path(node["name"], "code_gen_dir_ipgen", node["attrs"].get("code_gen_dir_ipgen"))
        ip = os.path.join(node["attrs"]["code_gen_dir_ipgen"], "project", "sol1", "impl", "ip")
        os.makedirs(ip, exist_ok=True)
        node["attrs"]["ip_path"] = ip
        if node["op_type"].endswith("_hls"):
            r = _resources(node)
            # csynth.xml values are strings; defaults are int 0 (FINN's quirk, kept here).
            hls[node["name"]] = {"BRAM_18K": str(r["BRAM_18K"]), "FF": str(2 * r["LUT"]), "LUT": str(r["LUT"]), "DSP48E": 0, "URAM": "0"}
    _report(cfg, "estimate_layer_resources_hls.json", hls)
    return _history(model, "step_hw_ipgen")


def step_set_fifo_depths(model, cfg):
    nodes = model.model["nodes"]
    out = []
    for i, node in enumerate(nodes):
        out.append(node)
        if i < len(nodes) - 1:
            out.append({"name": f"StreamingFIFO_rtl_{i}", "op_type": "StreamingFIFO_rtl", "attrs": {"rows": node["attrs"]["rows"], "depth": 32 * (1 + i % 3), "PE": 1}})
    if len(nodes) > 1:
        out.insert(2, {"name": "StreamingDataWidthConverter_rtl_0", "op_type": "StreamingDataWidthConverter_rtl", "attrs": {"rows": nodes[0]["attrs"]["rows"], "PE": 1}})
    model.model["nodes"] = out
    final = {"Defaults": {}}
    for node in out:
        final[node["name"]] = {k: v for k, v in node["attrs"].items() if k in ("PE", "SIMD", "depth")}
    with open(os.path.join(cfg.output_dir, "final_hw_config.json"), "w") as f:
        json.dump(final, f, indent=2)
    return _history(model, "step_set_fifo_depths")


def step_create_stitched_ip(model, cfg):
    if Out.STITCHED_IP in cfg.generate_outputs:
        for node in model.model["nodes"]:
            if "ip_path" in node["attrs"]:
                _require_path(node["name"], "ip_path", node["attrs"]["ip_path"])
        proj = _mkdtemp("vivado_stitch_proj_")
        with open(os.path.join(proj, "finn_vivado_stitch_proj.xpr"), "w") as f:
            f.write("<!-- stand-in Vivado project -->\n")
        model.set_metadata_prop("vivado_stitch_proj", proj)
        shutil.copytree(proj, os.path.join(cfg.output_dir, "stitched_ip"), dirs_exist_ok=True)
    return _history(model, "step_create_stitched_ip")


def _total_cycles(model):
    return max(_cycles(n) for n in model.model["nodes"])


def step_measure_rtlsim_performance(model, cfg):
    if Out.RTLSIM_PERFORMANCE in cfg.generate_outputs:
        _require_path("model", "vivado_stitch_proj", model.get_metadata_prop("vivado_stitch_proj"))
        cycles = _total_cycles(model)
        fclk = 1000.0 / cfg.synth_clk_period_ns
        _report(cfg, "rtlsim_performance.json", {
            "N_IN_TXNS": 64, "N_OUT_TXNS": 64, "cycles": cycles, "N": 1, "latency_cycles": cycles + 17,
            "runtime[ms]": cycles / fclk / 1000, "throughput[images/s]": fclk * 1e6 / cycles, "fclk[mhz]": fclk,
            "stable_throughput[images/s]": fclk * 1e6 / cycles,
        })
    return _history(model, "step_measure_rtlsim_performance")


def _synth_totals(model):
    res = [_resources(n) for n in model.model["nodes"]]
    lut = sum(r["LUT"] for r in res)
    return {"LUT": lut, "FF": 2 * lut, "DSP": sum(r["DSP"] for r in res), "BRAM_18K": sum(r["BRAM_18K"] for r in res) % 2, "BRAM_36K": sum(r["BRAM_18K"] for r in res) // 2, "URAM": 0}


def step_out_of_context_synthesis(model, cfg):
    if Out.OOC_SYNTH in cfg.generate_outputs:
        _require_path("model", "vivado_stitch_proj", model.get_metadata_prop("vivado_stitch_proj"))
        t = _synth_totals(model)
        wns = round(cfg.synth_clk_period_ns * 0.12, 3)
        _report(cfg, "ooc_synth_and_timing.json", {
            "vivado_proj_folder": _mkdtemp("synth_out_of_context_"), "LUT": float(t["LUT"]), "LUTRAM": 40.0, "FF": float(t["FF"]),
            "DSP": float(t["DSP"]), "BRAM": float(t["BRAM_36K"]), "BRAM_18K": float(t["BRAM_18K"]), "BRAM_36K": float(t["BRAM_36K"]),
            "URAM": 0.0, "Carry": 12.0, "WNS": wns, "Delay": wns, "vivado_version": 2022.2, "vivado_build_no": 3671981.0,
            "": 0, "fmax_mhz": 1000.0 / (cfg.synth_clk_period_ns - wns), "estimated_throughput_fps": 1e9 / (_total_cycles(model) * cfg.synth_clk_period_ns),
        })
    return _history(model, "step_out_of_context_synthesis")


def step_synthesize_bitfile(model, cfg):
    if Out.BITFILE in cfg.generate_outputs:
        _require_path("model", "vivado_stitch_proj", model.get_metadata_prop("vivado_stitch_proj"))
        proj = _mkdtemp("vivado_zynq_proj_")
        bitfile_dir = os.path.join(cfg.output_dir, "bitfile")
        os.makedirs(bitfile_dir, exist_ok=True)
        for name in ("finn-accel.bit", "finn-accel.hwh"):
            with open(os.path.join(proj, name), "w") as f:
                f.write(f"stand-in {name} for board {cfg.board}\n")
            shutil.copyfile(os.path.join(proj, name), os.path.join(bitfile_dir, name))
        model.set_metadata_prop("vivado_pynq_proj", proj)
        model.set_metadata_prop("bitfile", os.path.join(proj, "finn-accel.bit"))
        model.set_metadata_prop("hw_handoff", os.path.join(proj, "finn-accel.hwh"))
        t = _synth_totals(model)
        post = {"(top)": {"LUT": t["LUT"] + 9000, "SRL": 300, "FF": t["FF"] + 12000, "BRAM_36K": t["BRAM_36K"] + 4, "BRAM_18K": t["BRAM_18K"], "URAM": 0, "DSP": t["DSP"]}}
        for n in model.model["nodes"]:
            r = _resources(n)
            post[f"StreamingDataflowPartition_1_{n['name']}"] = {"LUT": r["LUT"], "SRL": 0, "FF": 2 * r["LUT"], "BRAM_36K": r["BRAM_18K"] // 2, "BRAM_18K": r["BRAM_18K"] % 2, "URAM": 0, "DSP": r["DSP"]}
        _report(cfg, "post_synth_resources.json", post)
        with open(os.path.join(cfg.output_dir, "report", "post_synth_resources.xml"), "w") as f:
            f.write('<?xml version="1.0"?>\n<RptDoc><!-- stand-in utilization report --></RptDoc>\n')
        wns = round(cfg.synth_clk_period_ns * 0.08, 3)
        with open(os.path.join(cfg.output_dir, "report", "post_route_timing.rpt"), "w") as f:
            f.write(TIMING_REPORT.format(wns=f"{wns:.3f}", whs="0.021", half=f"{cfg.synth_clk_period_ns / 2:.3f}", period=f"{cfg.synth_clk_period_ns:.3f}", mhz=f"{1000 / cfg.synth_clk_period_ns:.3f}"))
    return _history(model, "step_synthesize_bitfile")


TIMING_REPORT = """Copyright 1986-2022 Xilinx, Inc. All Rights Reserved.
| Tool Version : Vivado v.2022.2 (lin64) Build 3671981 (stand-in)
| Command      : report_timing_summary -file post_route_timing.rpt

------------------------------------------------------------------------------------------------
| Design Timing Summary
| ---------------------
------------------------------------------------------------------------------------------------

    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)  THS Failing Endpoints  THS Total Endpoints     WPWS(ns)     TPWS(ns)  TPWS Failing Endpoints  TPWS Total Endpoints
    -------      -------  ---------------------  -------------------      -------      -------  ---------------------  -------------------     --------     --------  ----------------------  --------------------
      {wns}        0.000                      0                81234        {whs}        0.000                      0                81234        3.750        0.000                       0                 30544


All user specified timing constraints are met.


------------------------------------------------------------------------------------------------
| Clock Summary
| -------------
------------------------------------------------------------------------------------------------

Clock       Waveform(ns)         Period(ns)      Frequency(MHz)
-----       ------------         ----------      --------------
clk_fpga_0  {{0.000 {half}}}        {period}          {mhz}
"""


def step_make_pynq_driver(model, cfg):
    if Out.PYNQ_DRIVER in cfg.generate_outputs:
        _require_path("model", "hw_handoff", model.get_metadata_prop("hw_handoff"))
        driver = os.path.join(cfg.output_dir, "driver")
        os.makedirs(os.path.join(driver, "runtime_weights"), exist_ok=True)
        for name in ("driver.py", "driver_base.py", "validate.py"):
            with open(os.path.join(driver, name), "w") as f:
                f.write(f"# stand-in PYNQ {name} for {cfg.board}\n")
        model.set_metadata_prop("pynq_driver_dir", driver)
    return _history(model, "step_make_pynq_driver")


def step_deployment_package(model, cfg):
    if Out.DEPLOYMENT_PACKAGE in cfg.generate_outputs:
        deploy = os.path.join(cfg.output_dir, "deploy")
        os.makedirs(deploy)
        shutil.copytree(os.path.join(cfg.output_dir, "bitfile"), os.path.join(deploy, "bitfile"))
        shutil.copytree(os.path.join(cfg.output_dir, "driver"), os.path.join(deploy, "driver"))
    return _history(model, "step_deployment_package")


build_dataflow_step_lookup = {
    name: fn for name, fn in globals().items() if name.startswith("step_") and callable(fn)
}
