"""One module per screen. Only the search screen is imported at start-up."""
