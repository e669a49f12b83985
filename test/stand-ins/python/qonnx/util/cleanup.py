"""STAND-IN for qonnx.util.cleanup (tests only)."""
from qonnx.core.modelwrapper import ModelWrapper


def cleanup(in_file, *, out_file=None, preserve_qnt_ops=True, override_inpsize=None, extract_conv_bias=False):
    model = ModelWrapper(in_file)
    model.model["history"].append("qonnx_cleanup")
    if out_file is not None:
        model.save(out_file)
    return model
