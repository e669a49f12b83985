"""STAND-IN for finn.transformation.fpgadataflow (tests only)."""
