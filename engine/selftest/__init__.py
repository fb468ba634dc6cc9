"""`--self-test` for frozen builds: every heavy dependency exercised end to end on a tiny model."""
