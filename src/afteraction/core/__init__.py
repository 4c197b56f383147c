"""The bottom layer: settings, the error tree, the database, the acting user and the one visibility rule."""
