"""`metrics diff`: the comparison, the values, the git ref, the rendering."""
