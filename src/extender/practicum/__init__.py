"""Practicum lab: workspaces, the sandbox FHIR store, the practice generator, scenarios."""
