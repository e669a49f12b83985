"""STAND-IN for finn.transformation.fpgadataflow.convert_to_hw_layers (tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class InferAddStreamsLayer(RecordingTransformation):
    """Converts the residual additions (non-scalar Add) to ElementwiseAdd layers; FINN's
    step_convert_to_hw does not, so without this transformation the stand-in model has none."""

    def effect(self, model):
        from finn.builder.build_dataflow_steps import hw_nodes

        model.model["residual_to_hw"] = True
        if model.model.get("nodes"):
            model.model["nodes"] += hw_nodes(model, ["ElementwiseAdd"])


drop_missing(globals())
