"""Progress against targets and completeness of reporting: the figures every page reads, and the
activity summary they are read from."""
