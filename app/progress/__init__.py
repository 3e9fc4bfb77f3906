"""Progress against targets and completeness of reporting: the figures every page reads."""
