"""Files at the edge of minigan: checkpoints (safetensors + JSON, atomic), images, plots.
Works on host (NumPy) arrays."""
