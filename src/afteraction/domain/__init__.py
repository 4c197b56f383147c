"""Pure domain types and rules: the schemas of incidents, reviews and action items, policy, why-trees, metrics."""
