"""STAND-IN for qonnx.transformation (tests only)."""
