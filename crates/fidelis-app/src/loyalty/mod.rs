//! The loyalty context: transactions, points, tiers, goodwill, cards and partner programs.
