"""Sub-commands of the retention-xl command line, one module per face."""
