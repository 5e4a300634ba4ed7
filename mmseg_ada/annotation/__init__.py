"""People in the loop: annotation requests, exports to annotation tools,
and the import of their labels (Label Studio, CVAT, plain PNG files)."""

__all__: list = []  # the modules are imported by name (see the docstring)
