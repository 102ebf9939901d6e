"""Cross-cutting pieces every app shares: errors, settings parsers, canonical JSON, keys."""
