// SPDX-License-Identifier: MIT
#include "api/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* tchar, RFC 9110 5.6.2. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field value octets: VCHAR, SP, HTAB, obs-text. */
static bool is_value_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static enum http_result fail(struct http_error *err, int status,
			     const char *reason)
{
	err->status = status;
	err->reason = reason;
	return HTTP_ERROR;
}

static enum http_method method_of(const char *name)
{
	static const char *const names[] = {
		[HTTP_GET] = "GET", [HTTP_PUT] = "PUT",
		[HTTP_PATCH] = "PATCH", [HTTP_POST] = "POST",
		[HTTP_DELETE] = "DELETE", [HTTP_HEAD] = "HEAD",
		[HTTP_OPTIONS] = "OPTIONS",
	};

	for (int m = 0; m < HTTP_OTHER; m++)
		if (!strcmp(name, names[m]))
			return (enum http_method)m;
	return HTTP_OTHER;
}

const char *http_method_name(enum http_method m)
{
	static const char *const names[] = { "GET", "PUT", "PATCH", "POST",
					     "DELETE", "HEAD", "OPTIONS",
					     "OTHER" };

	return (unsigned int)m <= HTTP_OTHER ? names[m] : "OTHER";
}

/* method SP request-target SP HTTP-version, without the CRLF. */
static enum http_result parse_request_line(const char *p, size_t n,
					   struct http_request *req,
					   struct http_error *err)
{
	size_t i = 0, start;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return fail(err, 400, "malformed request line");
	if (i >= sizeof(req->method_name))
		return fail(err, 400, "unknown HTTP method");
	memcpy(req->method_name, p, i);
	req->method_name[i] = '\0';
	req->method = method_of(req->method_name);

	start = ++i;
	while (i < n && p[i] != ' ') {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x21 || c > 0x7e)
			return fail(err, 400, "invalid character in the path");
		i++;
	}
	if (i >= n)
		return fail(err, 400, "malformed request line");
	if (i - start > HTTP_MAX_TARGET)
		return fail(err, 414, "path longer than 1024 bytes");
	if (i == start || p[start] != '/')
		return fail(err, 400, "the path must start with '/'");
	if (memchr(p + start, '?', i - start) || memchr(p + start, '#', i - start))
		return fail(err, 400, "query strings are not supported");
	memcpy(req->path, p + start, i - start);
	req->path[i - start] = '\0';

	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/", 5) || p[i + 6] != '.' ||
	    p[i + 5] < '0' || p[i + 5] > '9' || p[i + 7] < '0' || p[i + 7] > '9')
		return fail(err, 400, "malformed HTTP version");
	if (p[i + 5] != '1')
		return fail(err, 505, "only HTTP/1.x is supported");
	req->minor = p[i + 7] - '0';
	req->keep_alive = req->minor >= 1;
	return HTTP_COMPLETE;
}

/* Does the comma-separated list v[0..n) hold token tok? */
static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t len = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == len && !strncasecmp(v + s, tok, len))
			return true;
	}
	return false;
}

static bool name_is(const char *name, size_t n, const char *what)
{
	return strlen(what) == n && !strncasecmp(name, what, n);
}

/* One field line "name: value", without the CRLF. */
static enum http_result parse_field(const char *p, size_t n, size_t max_body,
				    struct http_request *req,
				    bool *have_length, struct http_error *err)
{
	size_t i = 0, vs, ve;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ':')
		return fail(err, 400, "malformed header field");
	vs = i + 1;
	for (size_t k = vs; k < n; k++)
		if (!is_value_char((unsigned char)p[k]))
			return fail(err, 400, "invalid character in a header");
	while (vs < n && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;

	if (name_is(p, i, "content-length")) {
		size_t v = 0;

		if (ve == vs)
			return fail(err, 400, "invalid Content-Length");
		for (size_t k = vs; k < ve; k++) {
			if (p[k] < '0' || p[k] > '9')
				return fail(err, 400, "invalid Content-Length");
			if (v > (HTTP_MAX_BODY * 1000ULL))
				return fail(err, 413, "body too large");
			v = v * 10 + (size_t)(p[k] - '0');
		}
		if (*have_length && v != req->content_length)
			return fail(err, 400, "conflicting Content-Length fields");
		if (v > max_body)
			return fail(err, 413, "body larger than the limit");
		req->content_length = v;
		*have_length = true;
	} else if (name_is(p, i, "transfer-encoding")) {
		return fail(err, 411,
			    "Transfer-Encoding is not supported: send the body "
			    "with a Content-Length");
	} else if (name_is(p, i, "connection")) {
		if (has_token(p + vs, ve - vs, "close"))
			req->keep_alive = false;
		else if (has_token(p + vs, ve - vs, "keep-alive"))
			req->keep_alive = true;
	} else if (name_is(p, i, "expect")) {
		if (ve - vs != 12 || strncasecmp(p + vs, "100-continue", 12))
			return fail(err, 417, "unsupported Expect field");
		req->expect_continue = true;
	}
	return HTTP_COMPLETE;
}

enum http_result http_parse_head(const char *buf, size_t len, size_t max_body,
				 struct http_request *req,
				 struct http_error *err)
{
	size_t pos = 0, lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	unsigned int lines = 0;
	bool have_length = false;
	enum http_result r;

	memset(req, 0, sizeof(*req));
	/* A client may send stray CRLFs between requests (RFC 9112 2.2). */
	while (pos + 1 < lim && buf[pos] == '\r' && buf[pos + 1] == '\n' &&
	       pos < 16)
		pos += 2;
	for (;;) {
		const char *p = buf + pos, *cr;
		size_t n;

		/* Every complete line is checked as soon as it arrives. */
		cr = memchr(p, '\n', lim - pos);
		if (!cr)
			break;
		n = (size_t)(cr - p);
		if (n == 0 || p[n - 1] != '\r')
			return fail(err, 400, "lines must end with CRLF");
		n--;
		if (memchr(p, '\r', n))
			return fail(err, 400, "stray CR in the request head");
		pos += n + 2;
		if (lines == 0) {
			r = parse_request_line(p, n, req, err);
		} else if (n == 0) {
			req->head_len = pos;
			return HTTP_COMPLETE;
		} else if (lines > HTTP_MAX_HEADERS) {
			return fail(err, 431, "more than 32 header fields");
		} else if (p[0] == ' ' || p[0] == '\t') {
			return fail(err, 400, "folded header lines are obsolete");
		} else {
			r = parse_field(p, n, max_body, req, &have_length, err);
		}
		if (r == HTTP_ERROR)
			return r;
		lines++;
	}
	if (len >= HTTP_MAX_HEAD)
		return fail(err, 431, "request head larger than 8 KiB");
	return HTTP_INCOMPLETE;
}

enum http_result http_parse_request(const char *buf, size_t len,
				    size_t max_body, struct http_request *req,
				    size_t *used, struct http_error *err)
{
	enum http_result r = http_parse_head(buf, len, max_body, req, err);

	*used = 0;
	if (r != HTTP_COMPLETE)
		return r;
	if (len - req->head_len < req->content_length)
		return HTTP_INCOMPLETE;
	req->body = buf + req->head_len;
	*used = req->head_len + req->content_length;
	return HTTP_COMPLETE;
}

const char *http_reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

char *http_format_response(int status, const char *extra_headers,
			   const char *body, size_t body_len, bool keep_alive,
			   size_t *len)
{
	char head[512];
	char *out;
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nServer: vmon\r\n%s"
		     "Content-Length: %zu\r\nConnection: %s\r\n%s\r\n",
		     status, http_reason_phrase(status),
		     body_len ? "Content-Type: application/json\r\n" : "",
		     body_len, keep_alive ? "keep-alive" : "close",
		     extra_headers ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return NULL;
	out = malloc((size_t)n + body_len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)n);
	if (body_len)
		memcpy(out + n, body, body_len);
	*len = (size_t)n + body_len;
	out[*len] = '\0';	/* not counted: for callers that print it */
	return out;
}
