"""STAND-IN ONNX files (tests only): a tiny pure-python protobuf writer and reader, so the stand-in
FINN flow writes real ONNX models (readable by onnx.load and `orchestrator inspect`) where neither
onnx nor protobuf is installed (the test image has plain python3).

The graph written is SHAPED like the real step's output, not computed by it: QONNX (Quant nodes) after
the export, FINN-ONNX (MultiThreshold, datatype annotations) after streamlining, fpgadataflow layers
with their folding attributes from step_convert_to_hw on, specialized _hls/_rtl layers after
step_specialize_layers. The stand-in's own state (its JSON document) rides along in the metadata
property `standin_state`, which is what ModelWrapper reads back. Field numbers are onnx.proto's.
"""
import json
import struct

STATE_KEY = "standin_state"
GENERAL = "qonnx.custom_op.general"
HW = "finn.custom_op.fpgadataflow"
FLOAT = 1
INT64 = 7


def _varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(no, wire):
    return _varint((no << 3) | wire)


def _ld(no, data):
    if isinstance(data, str):
        data = data.encode()
    return _key(no, 2) + _varint(len(data)) + data


def _vi(no, n):
    return _key(no, 0) + _varint(n)


def _attribute(name, value):
    # AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7)
    if isinstance(value, bool) or isinstance(value, int):
        return _ld(1, name) + _vi(3, int(value)) + _vi(20, 2)
    if isinstance(value, float):
        return _ld(1, name) + _key(2, 5) + struct.pack("<f", value) + _vi(20, 1)
    if isinstance(value, str):
        return _ld(1, name) + _ld(4, value) + _vi(20, 3)
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return _ld(1, name) + b"".join(_vi(8, v) for v in value) + _vi(20, 7)
    return _ld(1, name) + _ld(4, json.dumps(value)) + _vi(20, 3)


def _node(op_type, name, inputs, outputs, domain="", attrs=None):
    # NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
    body = b"".join(_ld(1, i) for i in inputs) + b"".join(_ld(2, o) for o in outputs) + _ld(3, name) + _ld(4, op_type)
    body += b"".join(_ld(5, _attribute(k, v)) for k, v in sorted((attrs or {}).items()))
    if domain:
        body += _ld(7, domain)
    return body


def _tensor(name, dims, data_type=FLOAT, width=4):
    # TensorProto: dims 1, data_type 2, name 8, raw_data 9 (zeros: the stand-in has no real weights)
    n = 1
    for d in dims:
        n *= d
    return b"".join(_vi(1, d) for d in dims) + _vi(2, data_type) + _ld(8, name) + _ld(9, bytes(width * n))


def _value_info(name, shape):
    # ValueInfoProto name 1, type 2 -> TypeProto.tensor_type 1 -> elem_type 1, shape 2 -> dim 1 -> dim_value 1
    dims = b"".join(_ld(1, _vi(1, d)) for d in shape)
    return _ld(1, name) + _ld(2, _ld(1, _vi(1, FLOAT) + _ld(2, dims)))


def _annotation(tensor, dtype):
    return _ld(1, tensor) + _ld(2, _ld(1, "finn_datatype") + _ld(2, dtype))


def _hw_domain(op_type):
    if op_type == "StreamingDataflowPartition":
        return GENERAL
    if op_type.endswith("_hls"):
        return HW + ".hls"
    if op_type.endswith("_rtl"):
        return HW + ".rtl"
    return HW


def _hw_graph(state):
    """A chain of the stand-in's hardware layers, weights and thresholds as annotated initializers."""
    nodes, inits, notes = [], [], []
    prev = "global_in"
    for i, n in enumerate(state["nodes"]):
        a = dict(n["attrs"])
        out = "global_out" if i == len(state["nodes"]) - 1 else f"{n['name']}_out"
        inputs = [prev]
        if n["op_type"] != "StreamingDataflowPartition":
            a["backend"] = "fpgadataflow"
        if "rows" in a:
            a["numInputVectors"] = [1, a.pop("rows")]
        base = n["op_type"].rsplit("_", 1)[0] if n["op_type"].endswith(("_hls", "_rtl")) else n["op_type"]
        if base == "MVAU":
            bits = a.pop("wbits")
            a.update(weightDataType=f"INT{bits}", inputDataType="INT8", outputDataType="INT32", accDataType="INT32")
            w = f"{n['name']}_weights"
            inits.append(_tensor(w, [a["MW"], a["MH"]]))
            notes.append(_annotation(w, f"INT{bits}"))
            inputs.append(w)
        elif base == "Thresholding":
            bits = a.pop("bits", 8)
            t = f"{n['name']}_thresholds"
            inits.append(_tensor(t, [a.get("NumChannels", 1), (1 << bits) - 1]))
            notes.append(_annotation(t, "INT32"))
            inputs.append(t)
            a.update(inputDataType="INT32", outputDataType=f"UINT{bits}")
        nodes.append(_node(n["op_type"], n["name"], inputs, [out], _hw_domain(n["op_type"]), a))
        prev = out
    return nodes, inits, notes


def _trace_graph(state):
    """The exported trace as a chain: QONNX (Quant nodes) before step_qonnx_to_finn, FINN-ONNX after."""
    finn = state.get("format") == "finn-onnx"
    quant_domain = GENERAL if "qonnx_cleanup" in state.get("history", []) else "onnx.brevitas"
    nodes, inits, notes = [], [], []
    prev = "global_in"
    counts = {}
    trace = state.get("graph") or []

    def name(op):
        i = counts.get(op, 0)
        counts[op] = i + 1
        return f"{op}_{i}"

    for i, g in enumerate(trace):
        out = "global_out" if i == len(trace) - 1 else f"t{i}"
        op = g["op"]
        if op == "QuantLinear":
            w = name("weights")
            inits.append(_tensor(w, [g["MW"], g["MH"]]))
            if finn:
                notes.append(_annotation(w, f"INT{g['weight_bit_width']}"))
                nodes.append(_node("MatMul", name("MatMul"), [prev, w], [out]))
            else:
                nodes.append(_node("Quant", name("Quant"), [w, "scale", "zeropt", "bitwidth"], [w + "_q"], quant_domain, {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"}))
                nodes.append(_node("MatMul", name("MatMul"), [prev, w + "_q"], [out]))
        elif op == "Quant":
            if finn:
                t = name("thresholds")
                inits.append(_tensor(t, [g["shape"][-1], (1 << g["bit_width"]) - 1]))
                notes.append(_annotation(t, "INT32"))
                notes.append(_annotation(out, f"INT{g['bit_width']}"))
                nodes.append(_node("MultiThreshold", name("MultiThreshold"), [prev, t], [out], GENERAL, {"out_dtype": f"INT{g['bit_width']}", "out_scale": 1.0, "out_bias": 0.0}))
            else:
                nodes.append(_node("Quant", name("Quant"), [prev, "scale", "zeropt", "bitwidth"], [out], quant_domain, {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"}))
        else:
            onnx_op = {"LayerNorm": "LayerNormalization", "BatchNorm": "BatchNormalization"}.get(op, op)
            node_name = name(onnx_op)
            inputs = [prev]
            if onnx_op == "Reshape":
                inits.append(_tensor(node_name + "_shape", [len(g.get("shape", []))], INT64, 8))
                inputs.append(node_name + "_shape")
            elif onnx_op in ("Add", "Mul", "Sub", "Div"):
                inits.append(_tensor(node_name + "_param", []))
                inputs.append(node_name + "_param")
            elif onnx_op == "MatMul":
                inputs.append(prev)
            nodes.append(_node(onnx_op, node_name, inputs, [out]))
        prev = out
    if not finn and any(g["op"] in ("Quant", "QuantLinear") for g in trace):
        inits += [_tensor("scale", []), _tensor("zeropt", []), _tensor("bitwidth", [])]
    return nodes, inits, notes


def encode(state):
    """The stand-in state as an ONNX ModelProto (bytes)."""
    nodes, inits, notes = _hw_graph(state) if state.get("nodes") else _trace_graph(state)
    shape = list(state.get("input_shape") or [1, 1])
    graph = b"".join(_ld(1, n) for n in nodes) + _ld(2, "standin")
    graph += b"".join(_ld(5, t) for t in inits)
    graph += _ld(11, _value_info("global_in", shape)) + _ld(12, _value_info("global_out", shape))
    graph += b"".join(_ld(14, a) for a in notes)
    domains = sorted({GENERAL, HW, HW + ".hls", HW + ".rtl"} | ({"onnx.brevitas"} if not state.get("nodes") else set()))
    model = _vi(1, 8) + _ld(2, state.get("producer") or "finn stand-in") + _ld(7, graph)
    model += _ld(8, _ld(1, "") + _vi(2, state.get("opset_version") or 14))
    model += b"".join(_ld(8, _ld(1, d) + _vi(2, 1)) for d in domains)
    props = dict(state.get("metadata") or {})
    props[STATE_KEY] = json.dumps(state, sort_keys=True)
    model += b"".join(_ld(14, _ld(1, k) + _ld(2, str(v))) for k, v in sorted(props.items()))
    return model


def _read_varint(buf, pos):
    shift = result = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    pos = 0
    while pos < len(buf):
        tag, pos = _read_varint(buf, pos)
        no, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        else:
            raise ValueError(f"wire type {wire}")
        yield no, value


def decode_state(data):
    """The stand-in state from a model written by encode(); ValueError for anything else."""
    for no, value in _fields(data):
        if no == 14:
            entry = dict(_fields(value))
            if entry.get(1) == STATE_KEY.encode():
                return json.loads(entry[2].decode())
    raise ValueError("not a stand-in ONNX model (no standin_state metadata)")
