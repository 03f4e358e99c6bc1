"""Dashboards and reports that read across domains (through their services)."""
