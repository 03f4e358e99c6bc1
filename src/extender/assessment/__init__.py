"""Item bank, blueprints, forms, exam delivery, scoring and psychometrics."""
