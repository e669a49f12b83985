"""STAND-IN for finn.transformation.streamline.remove (tests only)."""
from qonnx.transformation.base import RecordingTransformation, drop_missing


class RemoveIdentityReshape(RecordingTransformation):
    pass


class RemoveIdentityTranspose(RecordingTransformation):
    pass


drop_missing(globals())
