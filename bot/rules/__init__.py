"""The rule book (stages, deadlines, eligibility as data) and the pure functions that read it."""
