"""Entry point of the `kubedrift` command (placeholder until the CLI lands)."""


def run() -> None:
    """Run the command line."""
