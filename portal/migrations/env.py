"""Alembic environment: runs Balai's migrations on the engine handed over by ``portal.db``."""

from alembic import context

from portal.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    # render_as_batch: SQLite alters tables by copying them; Alembic does that for us.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
