"""STAND-IN for qonnx.transformation.general (tests only)."""
from qonnx.transformation.base import RecordingTransformation, Transformation, drop_missing  # noqa: F401


class GiveUniqueNodeNames(RecordingTransformation):
    pass


class GiveReadableTensorNames(RecordingTransformation):
    pass


class RemoveStaticGraphInputs(RecordingTransformation):
    pass


class RemoveUnusedTensors(RecordingTransformation):
    pass


class GiveUniqueParameterTensors(RecordingTransformation):
    pass


class ConvertDivToMul(RecordingTransformation):
    pass


drop_missing(globals())
