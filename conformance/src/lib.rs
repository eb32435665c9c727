//! `dcm-conformance`: Gherkin suites that judge wire behaviour.
