// libxcrypt (Debian: libcrypt-dev): bcrypt through crypt_ra / crypt_gensalt_ra.
#include <crypt.h>
