//! JSON Schema validation of SCIM response bodies (fixtures/schemas/).
