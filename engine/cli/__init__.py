"""The `tansaku` command line: commands, their text and --json output, and progress bars."""
