// libmongoc (Debian: libmongoc-dev, pkg-config libmongoc-1.0).
#include <mongoc/mongoc.h>
