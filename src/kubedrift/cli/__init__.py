"""The kubedrift command line: parse input, call the core, format, exit."""
