"""STAND-IN for qonnx.transformation.base (tests only).

Every stand-in transformation records its application: `ModelWrapper.transform` appends the class
name to the model's "transformations" list (so the saved JSON "ONNX", each intermediate model and the
stand-in build's standin_steps.jsonl show which ran, in which order). A few have a visible effect on
the stand-in graph where the later stand-in steps depend on it (see finn/transformation/).

Failure injection: a file `.standin/missing` in the working directory (or $FINN_STANDIN_MISSING),
one class name per line (or comma-separated), removes those classes from their stand-in modules, so
`from <module> import <name>` fails as it does when a FINN without them is installed.
"""
import os


class Transformation:
    def apply(self, model):
        return model, False


class RecordingTransformation(Transformation):
    """A transformation that only records that it ran (plus `effect`, if a subclass defines one)."""

    def apply(self, model):
        self.effect(model)
        return model, False

    def effect(self, model):
        pass


def _missing():
    spec = os.environ.get("FINN_STANDIN_MISSING", "")
    path = os.path.join(".standin", "missing")
    if not spec and os.path.isfile(path):
        with open(path) as f:
            spec = f.read()
    return {n.strip() for n in spec.replace(",", "\n").splitlines() if n.strip()}


def drop_missing(namespace):
    """Called at the end of each stand-in transformation module with its globals()."""
    for name in _missing():
        namespace.pop(name, None)
