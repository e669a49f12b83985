"""STAND-IN for finn.transformation.fpgadataflow.attention (FINN-Plus; tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class InferScaledDotProductAttention(RecordingTransformation):
    """Marks the attention pattern as converted: the stand-in step_convert_to_hw then emits a
    ScaledDotProductAttention layer per Softmax (without this transformation it emits none)."""

    def effect(self, model):
        model.model["attention_to_hw"] = True


class AbsorbMultiThresholdIntoScaledDotProductAttention(RecordingTransformation):
    pass


drop_missing(globals())
