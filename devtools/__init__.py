"""Development data, apart from the domain: the demo (`seed_demo`) and the benchmark generator
(`generate_dossiers`). They reuse the domain's pure functions (e.g. step_due_days) rather than
copying their formulas."""
