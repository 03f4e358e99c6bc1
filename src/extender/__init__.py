"""Extender: learn, practise, certify and place health-IT paraprofessionals."""

__version__ = "0.1.0"
