"""Builds QONNX-, FINN-ONNX-, hardware- and specialized-shaped ONNX test models with Debian's
python3-onnx (run with /usr/bin/python3). Shapes follow FINN's representation (FINN.md "QONNX/FINN-ONNX
inspection"): float32 carrier tensors, FINN datatypes in graph.quantization_annotation, custom ops
by domain, hardware-layer attributes, StreamingDataflowPartition nodes pointing at child models.
The models are made up for tests; they are not produced by qonnx or FINN.

usage: make_models.py OUT_DIR [--pe N --simd N --mem-mode M]   (folding of the specialized model)
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GENERAL = "qonnx.custom_op.general"
HW = "finn.custom_op.fpgadataflow"
SEQ, EMB, MLP = 8, 16, 32


def annotate(graph, tensor, dtype):
    a = onnx.TensorAnnotation()
    a.tensor_name = tensor
    e = a.quant_parameter_tensor_names.add()
    e.key, e.value = "finn_datatype", dtype
    graph.quantization_annotation.append(a)


def model(graph, domains, meta=None):
    opsets = [helper.make_opsetid("", 14)] + [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="orchestrator-test")
    m.ir_version = 8
    for k, v in (meta or {}).items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    return m


def weights(name, rows, cols, seed):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.integers(-8, 8, size=(rows, cols)).astype(np.float32), name)


def io(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def qonnx():
    """Brevitas export after qonnx cleanup: Quant nodes around float MatMuls."""
    init = [weights("W0", EMB, MLP, 0), weights("W1", MLP, EMB, 1)]
    init += [
        numpy_helper.from_array(np.array(0.5, dtype=np.float32), "scale"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zp"),
        numpy_helper.from_array(np.array(4.0, dtype=np.float32), "bw4"),
        numpy_helper.from_array(np.array(8.0, dtype=np.float32), "bw8"),
    ]
    q = lambda name, x, y, bw: helper.make_node("Quant", [x, "scale", "zp", bw], [y], name=name, domain=GENERAL, signed=1, narrow=0, rounding_mode="ROUND")
    nodes = [
        q("Quant_0", "inp", "inp_q", "bw8"),
        q("Quant_1", "W0", "W0_q", "bw4"),
        helper.make_node("MatMul", ["inp_q", "W0_q"], ["h"], name="MatMul_0"),
        helper.make_node("Relu", ["h"], ["h_r"], name="Relu_0"),
        q("Quant_2", "h_r", "h_q", "bw8"),
        q("Quant_3", "W1", "W1_q", "bw4"),
        helper.make_node("MatMul", ["h_q", "W1_q"], ["out"], name="MatMul_1"),
    ]
    g = helper.make_graph(nodes, "qonnx", [io("inp", [1, SEQ, EMB])], [io("out", [1, SEQ, EMB])], init)
    return model(g, [GENERAL])


def finn_onnx():
    """After step_qonnx_to_finn + streamlining: integer weights annotated, MultiThreshold activations."""
    init = [weights("W0", EMB, MLP, 0), weights("W1", MLP, EMB, 1),
            numpy_helper.from_array(np.zeros((MLP, 255), dtype=np.float32), "T0"),
            numpy_helper.from_array(np.zeros((EMB, 15), dtype=np.float32), "T1")]
    mt = lambda name, x, t, y, dt: helper.make_node("MultiThreshold", [x, t], [y], name=name, domain=GENERAL, out_dtype=dt, out_scale=1.0, out_bias=0.0, data_layout="NHWC")
    nodes = [
        helper.make_node("MatMul", ["inp", "W0"], ["h"], name="MatMul_0"),
        mt("MultiThreshold_0", "h", "T0", "h_q", "UINT8"),
        helper.make_node("MatMul", ["h_q", "W1"], ["m"], name="MatMul_1"),
        mt("MultiThreshold_1", "m", "T1", "out", "INT4"),
    ]
    g = helper.make_graph(nodes, "finn", [io("inp", [1, SEQ, EMB])], [io("out", [1, SEQ, EMB])], init)
    for t, d in [("inp", "INT8"), ("W0", "INT4"), ("W1", "INT4"), ("h", "INT32"), ("h_q", "UINT8"), ("m", "INT32"), ("out", "INT4"), ("T0", "INT32"), ("T1", "INT32")]:
        annotate(g, t, d)
    return model(g, [GENERAL])


def hardware():
    """After step_convert_to_hw: MVAU layers (generic fpgadataflow domain, not yet specialized)."""
    init = [weights("W0", EMB, MLP, 0), weights("W1", MLP, EMB, 1),
            numpy_helper.from_array(np.zeros((MLP, 255), dtype=np.float32), "T0"),
            numpy_helper.from_array(np.zeros((EMB, 15), dtype=np.float32), "T1")]
    nodes = [
        helper.make_node("MVAU", ["inp", "W0", "T0"], ["h_q"], name="MVAU_0", domain=HW, backend="fpgadataflow", MW=EMB, MH=MLP, PE=1, SIMD=1,
                         inputDataType="INT8", weightDataType="INT4", outputDataType="UINT8", accDataType="INT32", numInputVectors=[1, SEQ], mem_mode="internal_embedded"),
        helper.make_node("MVAU", ["h_q", "W1", "T1"], ["out"], name="MVAU_1", domain=HW, backend="fpgadataflow", MW=MLP, MH=EMB, PE=1, SIMD=1,
                         inputDataType="UINT8", weightDataType="INT4", outputDataType="INT4", accDataType="INT32", numInputVectors=[1, SEQ], mem_mode="internal_embedded"),
    ]
    g = helper.make_graph(nodes, "hw", [io("inp", [1, SEQ, EMB])], [io("out", [1, SEQ, EMB])], init)
    for t, d in [("inp", "INT8"), ("W0", "INT4"), ("W1", "INT4"), ("h_q", "UINT8"), ("out", "INT4"), ("T0", "INT32"), ("T1", "INT32")]:
        annotate(g, t, d)
    return model(g, [HW])


def specialized(pe, simd, mem_mode):
    """After specialize + folding: MVAU_rtl / MVAU_hls, Thresholding_rtl, FIFOs (the partition's child model)."""
    init = [weights("W0", EMB, MLP, 0), weights("W1", MLP, EMB, 1),
            numpy_helper.from_array(np.zeros((MLP, 255), dtype=np.float32), "T0"),
            numpy_helper.from_array(np.zeros((EMB, 15), dtype=np.float32), "T1")]
    common = dict(backend="fpgadataflow", accDataType="INT32", numInputVectors=[1, SEQ], ram_style="block", resType="dsp")
    nodes = [
        helper.make_node("StreamingFIFO_rtl", ["inp"], ["inp_f"], name="StreamingFIFO_rtl_0", domain=HW + ".rtl", backend="fpgadataflow", depth=32, folded_shape=[1, SEQ, EMB], dataType="INT8", impl_style="rtl", ram_style="auto"),
        helper.make_node("MVAU_rtl", ["inp_f", "W0"], ["h"], name="MVAU_rtl_0", domain=HW + ".rtl", MW=EMB, MH=MLP, PE=pe, SIMD=simd, inputDataType="INT8", weightDataType="INT4",
                         outputDataType="INT32", mem_mode=mem_mode, noActivation=1, inFIFODepths=[32], outFIFODepths=[2], **common),
        helper.make_node("Thresholding_rtl", ["h", "T0"], ["h_q"], name="Thresholding_rtl_0", domain=HW + ".rtl", backend="fpgadataflow", NumChannels=MLP, PE=pe,
                         inputDataType="INT32", weightDataType="INT32", outputDataType="UINT8", numInputVectors=[1, SEQ], numSteps=255, inFIFODepths=[2], outFIFODepths=[2]),
        helper.make_node("MVAU_hls", ["h_q", "W1", "T1"], ["out"], name="MVAU_hls_0", domain=HW + ".hls", MW=MLP, MH=EMB, PE=pe, SIMD=simd, inputDataType="UINT8", weightDataType="INT4",
                         outputDataType="INT4", mem_mode=mem_mode, noActivation=0, inFIFODepths=[2], outFIFODepths=[64], **common),
    ]
    g = helper.make_graph(nodes, "partition_0", [io("inp", [1, SEQ, EMB])], [io("out", [1, SEQ, EMB])], init)
    for t, d in [("inp", "INT8"), ("inp_f", "INT8"), ("W0", "INT4"), ("W1", "INT4"), ("h", "INT32"), ("h_q", "UINT8"), ("out", "INT4"), ("T0", "INT32"), ("T1", "INT32")]:
        annotate(g, t, d)
    return model(g, [HW + ".rtl", HW + ".hls"], {"pynq_driver_dir": "/tmp/finn_dev/driver", "vivado_stitch_proj": "/tmp/finn_dev/stitch"})


def parent(child_rel):
    """dataflow_parent.onnx: the hardware part replaced by a StreamingDataflowPartition node."""
    nodes = [helper.make_node("StreamingDataflowPartition", ["inp"], ["out"], name="StreamingDataflowPartition_0", domain=GENERAL, model=child_rel, partition_id=0, slr=-1, device_id=0)]
    g = helper.make_graph(nodes, "dataflow_parent", [io("inp", [1, SEQ, EMB])], [io("out", [1, SEQ, EMB])], [])
    annotate(g, "inp", "INT8")
    annotate(g, "out", "INT4")
    return model(g, [GENERAL])


def reports(out, pe, simd):
    """FINN-shaped report files beside the specialized model (numbers made up, shapes FINN's)."""
    os.makedirs(os.path.join(out, "report"), exist_ok=True)
    mv0 = (MLP // pe) * (EMB // simd) * SEQ
    mv1 = (EMB // pe) * (MLP // simd) * SEQ
    files = {
        "estimate_layer_resources.json": {"MVAU_rtl_0": {"BRAM_18K": 1, "BRAM_efficiency": 0.5, "LUT": 300, "URAM": 0, "URAM_efficiency": 1, "DSP": pe},
                                          "MVAU_hls_0": {"BRAM_18K": 0, "BRAM_efficiency": 1, "LUT": 420, "URAM": 0, "URAM_efficiency": 1, "DSP": 0},
                                          "total": {"BRAM_18K": 1.0, "LUT": 720.0, "URAM": 0.0, "DSP": float(pe)}},
        "estimate_layer_cycles.json": {"MVAU_rtl_0": mv0, "Thresholding_rtl_0": (MLP // pe) * SEQ, "MVAU_hls_0": mv1},
        "estimate_layer_resources_hls.json": {"MVAU_hls_0": {"BRAM_18K": "0", "FF": "812", "LUT": "650", "DSP48E": 0, "URAM": "0"}},
        "post_synth_resources.json": {"(top)": {"LUT": 2000, "FF": 3000, "BRAM_36K": 1, "BRAM_18K": 0, "URAM": 0, "DSP": 2, "SRL": 10},
                                      "StreamingDataflowPartition_0_MVAU_rtl_0": {"LUT": 310, "FF": 500, "BRAM_36K": 1, "BRAM_18K": 0, "URAM": 0, "DSP": 2, "SRL": 0}},
    }
    for name, data in files.items():
        with open(os.path.join(out, "report", name), "w") as f:
            json.dump(data, f, indent=2)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--pe", type=int, default=2)
    p.add_argument("--simd", type=int, default=4)
    p.add_argument("--mem-mode", default="internal_decoupled")
    a = p.parse_args()
    os.makedirs(os.path.join(a.out, "specialized", "supported_op_partitions"), exist_ok=True)
    onnx.save(qonnx(), os.path.join(a.out, "qonnx.onnx"))
    onnx.save(finn_onnx(), os.path.join(a.out, "finn.onnx"))
    onnx.save(hardware(), os.path.join(a.out, "hw.onnx"))
    onnx.save(specialized(a.pe, a.simd, a.mem_mode), os.path.join(a.out, "specialized", "supported_op_partitions", "partition_0.onnx"))
    onnx.save(parent("supported_op_partitions/partition_0.onnx"), os.path.join(a.out, "specialized", "model.onnx"))
    reports(os.path.join(a.out, "specialized"), a.pe, a.simd)
    for f in ["qonnx.onnx", "finn.onnx", "hw.onnx", "specialized/model.onnx", "specialized/supported_op_partitions/partition_0.onnx"]:
        onnx.checker.check_model(os.path.join(a.out, f))


if __name__ == "__main__":
    main()
