"""The sandbox FHIR R4 store: search parameters, validation, persistence, REST surface."""
