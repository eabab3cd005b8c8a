"""The QuickFIX initiator side: the venue gateway (``gateway``), its session recovery (``recovery``),
the order-entry and status codec (``messages``), the quote cache fed by FIX market data
(``market_data``), the initiator settings (``settings``) and the report pump into the runtime."""
