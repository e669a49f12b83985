"""STAND-IN for finn.transformation.streamline.collapse_repeated (tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class CollapseRepeatedMul(RecordingTransformation):
    pass


class CollapseRepeatedTranspose(RecordingTransformation):
    pass


drop_missing(globals())
