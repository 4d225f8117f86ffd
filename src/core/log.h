/*
 * core/log.h - what other layers may ask of the logger (log.c) beyond the
 * public kiln_log: capturing this thread's lines for one request.
 */
#ifndef KILN_CORE_LOG_H
#define KILN_CORE_LOG_H

#include <kiln/core.h>

/** The most bytes one capture buffer keeps; later lines are dropped. */
#define LOG_CAPTURE_MAX (64 * 1024)

/**
 * From now on, every line kiln_log writes on this thread is also appended
 * to b (up to LOG_CAPTURE_MAX bytes in b; an allocation failure drops the
 * line from b only); NULL stops. The caller owns b and stops the capture
 * before b goes away. The server brackets each run of a request's handler
 * with it (a worker thread runs one handler at a time).
 */
void log_capture(kiln_buf *b);

#endif
