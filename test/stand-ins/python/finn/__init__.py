"""STAND-IN for FINN (tests only). See test/stand-ins/README.md."""
STANDIN = True
# What `python3 -c "import finn; print(finn.__version__)"` (the pipeline's tools: probe) prints.
__version__ = "0.10.1+orchestrator.stand.in"
