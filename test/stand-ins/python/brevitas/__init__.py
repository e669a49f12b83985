"""STAND-IN for Brevitas (tests only). See test/stand-ins/README.md."""
STANDIN = True
