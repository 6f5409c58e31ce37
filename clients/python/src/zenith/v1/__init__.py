"""Generated from proto/zenith/v1 by scripts/generate; do not edit."""
