"""SQLite storage: connection setup (db), migrations, PTB persistence, repositories."""
