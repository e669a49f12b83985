"""STAND-IN for brevitas.export (tests only): export_qonnx writes a JSON "QONNX" graph."""
import json

import torch

from qonnx.core.modelwrapper import ModelWrapper


def export_qonnx(module, args, export_path=None, **onnx_kwargs):
    torch._trace = []
    try:
        module(args)
        graph = torch._trace
    finally:
        torch._trace = None
    model = ModelWrapper(
        {
            "standin": "qonnx-json",
            "producer": "brevitas stand-in export_qonnx",
            "opset_version": onnx_kwargs.get("opset_version"),
            "do_constant_folding": onnx_kwargs.get("do_constant_folding", True),
            "input_shape": list(args.shape),
            "config": getattr(module, "cfg", {}),
            "graph": graph,
            "history": ["export_qonnx"],
            "metadata": {},
            "nodes": [],
        }
    )
    if export_path is not None:
        model.save(export_path)
    return model
