"""Storage: SQLAlchemy tables, repositories, migrations and the engine."""
