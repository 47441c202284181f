//! The loyalty context (being written).
