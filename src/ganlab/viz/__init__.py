"""Pictures: sample grids, point clouds, curves."""
