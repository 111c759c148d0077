"""Pure helpers: no imports from the rest of quanzi, no I/O."""
