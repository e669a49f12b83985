"""STAND-IN for finn.transformation (tests only)."""
