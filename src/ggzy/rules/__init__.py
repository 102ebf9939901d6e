"""Versioned trade rules (统一制度规则): catalogue, rule sets, working-day calendar."""
