"""Which model file each role uses: the packaged defaults, pulled downloads, or user paths."""
