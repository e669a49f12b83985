"""STAND-IN for finn.transformation.fpgadataflow.attention_heads (tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class InferMultiHeads(RecordingTransformation):
    pass


class MoveSplitMultiHeadsPastMultiThreshold(RecordingTransformation):
    pass


class UnrollMultiHeadAttention(RecordingTransformation):
    pass


class MoveMergeMultiHeadsPastMultiThreshold(RecordingTransformation):
    pass


drop_missing(globals())
