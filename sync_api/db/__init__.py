"""Database access: SQLAlchemy 2 async models (`models`) and engine/session setup (`engine`)."""
