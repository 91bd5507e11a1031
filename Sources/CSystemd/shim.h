// libsystemd (Debian: libsystemd-dev): socket activation, sd_notify, the journal.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
