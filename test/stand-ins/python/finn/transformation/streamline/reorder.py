"""STAND-IN for finn.transformation.streamline.reorder (tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class MoveMulPastFork(RecordingTransformation):
    pass


class MoveLinearPastFork(RecordingTransformation):
    pass


class MoveTransposePastFork(RecordingTransformation):
    pass


class MoveLinearPastEltwiseAdd(RecordingTransformation):
    pass


class MoveScalarLinearPastInvariants(RecordingTransformation):
    pass


class MoveTransposePastEltwise(RecordingTransformation):
    pass


drop_missing(globals())
