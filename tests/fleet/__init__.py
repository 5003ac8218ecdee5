"""The fleet: `serve --stateless` replicas sharing one PostgreSQL, as real processes; and
docs/deploy.md, which says how to run them."""
