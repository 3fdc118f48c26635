"""The embedded AWS emulator: moto plus what moto lacks, driven by the real template.yaml."""
