"""Placement: opportunities, profiles and portfolios, applications, matching."""
