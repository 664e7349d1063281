"""The clerks' side: queue, case view and decisions."""
