//! Blueprint parsing and validation.
