"""Machinery shared by every reproduction: profiles, CLI, data, training,
metrics and results. Nothing here is specific to one paper."""
