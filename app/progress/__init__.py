"""Progress of the programme: what was done against the plans, and the summary it is read from."""
