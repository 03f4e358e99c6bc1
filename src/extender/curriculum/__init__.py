"""Tracks and their competency frameworks, cohorts and enrollments; the content loader."""
