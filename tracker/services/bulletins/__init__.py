"""The monthly bulletin (月度通报): its figures rebuilt from history, its lifecycle, and its printed form."""
