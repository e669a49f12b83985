"""STAND-IN for qonnx (tests only). See test/stand-ins/README.md."""
STANDIN = True
