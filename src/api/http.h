/* SPDX-License-Identifier: MIT */
/*
 * A small, bounded HTTP/1.x request parser and response writer for the
 * API socket (RFC 9112).  Requests carry their body by Content-Length
 * only; chunked transfer coding is refused.  The parser never allocates
 * and never reads past the buffer it is given.
 */
#ifndef VMON_API_HTTP_H
#define VMON_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEAD		8192	/* request line + header fields */
#define HTTP_MAX_HEADERS	32
#define HTTP_MAX_TARGET		1024	/* request-target, in bytes */
#define HTTP_MAX_BODY		51200	/* Firecracker's default payload limit */

enum http_method {
	HTTP_GET, HTTP_PUT, HTTP_PATCH, HTTP_POST, HTTP_DELETE, HTTP_HEAD,
	HTTP_OPTIONS, HTTP_OTHER,
};

struct http_request {
	enum http_method method;
	char method_name[16];
	char path[HTTP_MAX_TARGET + 1];
	int minor;		/* HTTP/1.minor */
	bool keep_alive;
	bool expect_continue;	/* "Expect: 100-continue" */
	size_t head_len;	/* bytes up to and including the blank line */
	size_t content_length;
	const char *body;	/* into the caller's buffer, once complete */
};

/* What to answer when parsing fails. */
struct http_error {
	int status;		/* 400, 405, 411, 413, 414, 417, 431, 505 */
	const char *reason;	/* for the fault message */
};

enum http_result { HTTP_ERROR = -1, HTTP_INCOMPLETE = 0, HTTP_COMPLETE = 1 };

/*
 * Parse the head (request line and header fields) at the start of
 * buf[0..len).  INCOMPLETE: no blank line yet and the head limit not
 * reached.  COMPLETE: req filled, the body starts at buf + req->head_len.
 * A Content-Length above max_body is an error (413).
 */
enum http_result http_parse_head(const char *buf, size_t len, size_t max_body,
				 struct http_request *req,
				 struct http_error *err);

/*
 * Head and body: COMPLETE once buf holds the whole request; *used is then
 * its length (pipelined requests follow it).
 */
enum http_result http_parse_request(const char *buf, size_t len,
				    size_t max_body, struct http_request *req,
				    size_t *used, struct http_error *err);

const char *http_reason_phrase(int status);
const char *http_method_name(enum http_method m);

/*
 * A whole response: status line, Server, Content-Type (with a body),
 * Content-Length, Connection, and extra_headers verbatim (each ending in
 * CRLF) when not NULL.  Returns a malloc'd buffer of *len bytes (and a
 * NUL after them), or NULL.
 */
char *http_format_response(int status, const char *extra_headers,
			   const char *body, size_t body_len, bool keep_alive,
			   size_t *len);

#endif
