/*
 * no_swift_demangle.c - preloaded after the ASan runtime into the server by
 * asan_regress.sh, so that ASan's start-up finds a swift_demangle.
 *
 * Preloaded, the runtime starts lazily, at the first malloc: in PostgreSQL
 * that is in libgpg-error's constructor, inside bindtextdomain, which holds
 * glibc's gettext lock.  ASan's start-up looks up swift_demangle, and when
 * the lookup fails it calls dlerror, whose message is translated under that
 * same lock: the lock is left broken and the postmaster hangs at its own
 * bindtextdomain.  With this symbol the lookup succeeds and no message is
 * made.  ASan calls it only to demangle Swift names in a report: it says
 * that it demangled nothing.
 */
#include <stddef.h>

char	   *swift_demangle(const char *name, size_t length, char *out, size_t *out_length,
						   unsigned flags);

/* No Swift name is demangled: NULL tells ASan to print the name as it is. */
char *
swift_demangle(const char *name, size_t length, char *out, size_t *out_length, unsigned flags)
{
	(void) name;
	(void) length;
	(void) out;
	(void) out_length;
	(void) flags;
	return NULL;
}
