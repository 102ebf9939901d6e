"""Market-entity registry (市场主体库, 一网注册、全省通用)."""
