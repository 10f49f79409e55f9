/* Leveled log lines on stderr; keeps the terminal progress line out of their way. */
#include <stdarg.h>
#include <stdio.h>
#include "mixer/log.h"

static enum log_level log_level_current = LOG_LEVEL_INFO;
static int log_progress_active;

void log_set_level(enum log_level level)
{
    log_level_current = level;
}

void log_set_progress_active(int active)
{
    log_progress_active = active;
}

static void log_write(enum log_level level, const char *tag, const char *fmt, va_list ap)
{
    if (level > log_level_current)
        return;
    if (log_progress_active)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "tessera: %s", tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_ERROR, "error: ", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_WARN, "warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_INFO, "", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_write(LOG_LEVEL_DEBUG, "debug: ", fmt, ap);
    va_end(ap);
}
