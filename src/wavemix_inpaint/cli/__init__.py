"""Command-line interface: ``wavemix-inpaint <command> ...``."""
