// libbson (Debian: libbson-dev, pkg-config libbson-1.0).
#include <bson/bson.h>
