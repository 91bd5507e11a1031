// libsystemd (Debian: libsystemd-dev): socket activation, sd_notify, the journal.
// Without location suppression sd_journal_sendv is a macro Swift cannot call.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
