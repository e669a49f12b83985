"""STAND-IN for qonnx.core.modelwrapper (tests only): the "ONNX" is a JSON document."""
import copy
import json


class ModelWrapper:
    def __init__(self, model):
        if isinstance(model, str):
            with open(model) as f:
                text = f.read()
            try:
                model = json.loads(text)
            except ValueError:
                raise ValueError(f"{model}: not a stand-in ONNX model (JSON expected)") from None
        if not isinstance(model, dict) or model.get("standin") != "qonnx-json":
            raise ValueError("not a stand-in ONNX model")
        self.model = copy.deepcopy(model)

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.model, f, indent=1, sort_keys=True)
            f.write("\n")

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
