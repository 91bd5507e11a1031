// SQLite 3 (Debian: libsqlite3-dev).
#include <sqlite3.h>
