"""STAND-IN for FINN (tests only). See test/stand-ins/README.md."""
STANDIN = True
