"""Pieces every app builds on and that know no app: the application error, the transition
registry and the engine that applies transitions."""
