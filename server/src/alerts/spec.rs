//! Checking and normalizing what callers send: rule, channel and silence definitions, and
//! keeping channel secrets write-only.
