"""retro: outcome-centred retrospectives in the terminal, with a mergeable log."""

__version__ = "0.1.0"
