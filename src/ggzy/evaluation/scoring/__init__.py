"""Pure scoring plug-ins (评分办法): no Django imports, Decimal arithmetic, versioned formulas.

* :mod:`.price` — price-score formulas: deviation rate against a benchmark price (综合评估法
  偏差率法, E1/E2, optional drawn K), lowest-price ratio (低价优先法) and the lowest evaluated
  price (经评审的最低投标价法).
* :mod:`.aggregate` — per-criterion means over experts, totals and ranking with the stated
  tie-break rule.
* :mod:`.template` — the versioned scoring template (评分办法模板) as data.
* :mod:`.grounds` — mandatory rejection grounds (否决投标情形, 实施条例第五十一条) as data.
"""

from __future__ import annotations
