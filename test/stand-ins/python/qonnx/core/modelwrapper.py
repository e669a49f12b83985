"""STAND-IN for qonnx.core.modelwrapper (tests only): the model is a JSON document of the stand-in's
state, saved as a real ONNX file shaped like the step's output (see standin_onnx.py)."""
import copy

from qonnx.core import standin_onnx


class ModelWrapper:
    def __init__(self, model):
        if isinstance(model, str):
            with open(model, "rb") as f:
                data = f.read()
            try:
                model = standin_onnx.decode_state(data)
            except ValueError as e:
                raise ValueError(f"{model}: {e}") from None
        if not isinstance(model, dict) or model.get("standin") != "qonnx-json":
            raise ValueError("not a stand-in ONNX model")
        self.model = copy.deepcopy(model)

    def save(self, path):
        with open(path, "wb") as f:
            f.write(standin_onnx.encode(self.model))

    def transform(self, transformation, make_deepcopy=True, cleanup=True):
        """Like qonnx's: applies `transformation` to a copy; the stand-in records its class name."""
        model = ModelWrapper(self.model) if make_deepcopy else self
        model.model.setdefault("transformations", []).append(type(transformation).__name__)
        model, _ = transformation.apply(model)
        return model

    def get_metadata_prop(self, key):
        return self.model["metadata"].get(key)

    def set_metadata_prop(self, key, value):
        self.model["metadata"][key] = value

    @property
    def nodes(self):
        return self.model["nodes"]
