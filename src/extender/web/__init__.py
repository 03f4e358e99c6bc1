"""Shared web kit: sessions, CSRF, authorization dependencies, error mapping, templates, static
files. It imports no domain except accounts, so every domain's routes can build on it."""
