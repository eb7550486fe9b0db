"""Tests of the drift timeline store (kubedrift.store) on SQLite, PostgreSQL and the fake."""
