#include "kiosk/kiosk_store.h"
#include "kiosk/appm.h"
#include <string.h>
int kstore_open_daemon(const char *path, kstore **ret, char *m, size_t l) { (void)path; (void)m; (void)l; *ret = NULL; return APPM_EXIT_OK; }
kstore *kstore_open_diag(const char *path, char *m, size_t l) { (void)path; (void)m; (void)l; return NULL; }
void kstore_close(kstore *s) { (void)s; }
void kstore_log_event(kstore *s, const char *d, const char *k, const char *t) { (void)s; (void)d; (void)k; (void)t; }
void kstore_count(kstore *s, const char *d, bool f, const char *e) { (void)s; (void)d; (void)f; (void)e; }
bool kstore_counters(kstore *s, const char *d, kdev_counters *r) { (void)s; (void)d; memset(r, 0, sizeof(*r)); return false; }
