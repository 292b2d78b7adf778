"""Department data exchange: connectors, standardisation and record linkage (docs/exchange.md)."""
