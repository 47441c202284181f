//! The customers context (being written).
