"""A project of several `.flow` files: one pools file, flows importing it and each other."""
