"""STAND-IN for finn.transformation.squeeze (tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class Squeeze(RecordingTransformation):
    pass


drop_missing(globals())
