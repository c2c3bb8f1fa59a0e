"""Storage layer: SQLModel tables, the engine and session, and the queries."""
