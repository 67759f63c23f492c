"""The home page's figures: the office's and leaders' overview, and a unit's own."""
