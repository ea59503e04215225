"""What the store is: tables, engine, migrations."""
