// SPDX-License-Identifier: MIT
/*
 * Unit tests for the API's HTTP parser (guest-input.md 22): well-formed
 * requests, keep-alive and pipelining, and every malformed head refused
 * with its status; plus the response writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/http.h"

static enum http_result parse(const char *s, struct http_request *req,
			      size_t *used, struct http_error *err)
{
	return http_parse_request(s, strlen(s), HTTP_MAX_BODY, req, used, err);
}

/* The status a request is refused with (0 if it is not). */
static int refused(const char *s)
{
	struct http_request req;
	struct http_error err = { 0 };
	size_t used;

	return parse(s, &req, &used, &err) == HTTP_ERROR ? err.status : 0;
}

static void get_request(void **state)
{
	const char *s = "GET /machine-config HTTP/1.1\r\nHost: localhost\r\n"
			"Accept: */*\r\n\r\n";
	struct http_request req;
	struct http_error err;
	size_t used;

	assert_int_equal(parse(s, &req, &used, &err), HTTP_COMPLETE);
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.path, "/machine-config");
	assert_int_equal(req.minor, 1);
	assert_true(req.keep_alive);
	assert_int_equal(req.content_length, 0);
	assert_int_equal(used, strlen(s));
}

static void put_with_body_and_pipelining(void **state)
{
	const char *s = "PUT /actions HTTP/1.1\r\ncontent-length:  31 \r\n"
			"Content-Type: application/json\r\n\r\n"
			"{\"action_type\":\"InstanceStart\"}"
			"GET / HTTP/1.1\r\n\r\n";
	struct http_request req;
	struct http_error err;
	size_t used, len = strlen(s);

	assert_int_equal(parse(s, &req, &used, &err), HTTP_COMPLETE);
	assert_int_equal(req.method, HTTP_PUT);
	assert_int_equal(req.content_length, 31);
	assert_memory_equal(req.body, "{\"action_type\":\"InstanceStart\"}",
			    31);
	/* The second request follows the first. */
	assert_int_equal(http_parse_request(s + used, len - used,
					    HTTP_MAX_BODY, &req, &used, &err),
			 HTTP_COMPLETE);
	assert_string_equal(req.path, "/");
}

static void incomplete_until_whole(void **state)
{
	const char *s = "PATCH /vm HTTP/1.1\r\nContent-Length: 18\r\n"
			"Expect: 100-continue\r\n\r\n{\"state\":\"Paused\"}";
	struct http_request req;
	struct http_error err;
	size_t used, len = strlen(s);

	/* Every prefix is incomplete, never an error. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(http_parse_request(s, n, HTTP_MAX_BODY, &req,
						    &used, &err),
				 HTTP_INCOMPLETE);
	assert_int_equal(http_parse_request(s, len, HTTP_MAX_BODY, &req, &used,
					    &err), HTTP_COMPLETE);
	assert_true(req.expect_continue);
	assert_int_equal(req.method, HTTP_PATCH);
}

static void connection_semantics(void **state)
{
	struct http_request req;
	struct http_error err;
	size_t used;

	parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &req, &used, &err);
	assert_false(req.keep_alive);
	parse("GET / HTTP/1.0\r\n\r\n", &req, &used, &err);
	assert_false(req.keep_alive);
	parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req, &used,
	      &err);
	assert_true(req.keep_alive);
	parse("GET / HTTP/1.1\r\nConnection: te, close\r\n\r\n", &req, &used,
	      &err);
	assert_false(req.keep_alive);
	/* Stray CRLFs before a request are allowed (RFC 9112 2.2). */
	assert_int_equal(parse("\r\nGET / HTTP/1.1\r\n\r\n", &req, &used, &err),
			 HTTP_COMPLETE);
	parse("OPTIONS / HTTP/1.1\r\n\r\n", &req, &used, &err);
	assert_int_equal(req.method, HTTP_OPTIONS);
	parse("BREW / HTTP/1.1\r\n\r\n", &req, &used, &err);
	assert_int_equal(req.method, HTTP_OTHER);
}

static void malformed_heads(void **state)
{
	char big[HTTP_MAX_HEAD + 64], path[HTTP_MAX_TARGET + 64];
	size_t n;

	assert_int_equal(refused("GET / HTTP/1.1\nHost: x\n\n"), 400);
	assert_int_equal(refused("GET  / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(refused("GET /\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/2.0\r\n\r\n"), 505);
	assert_int_equal(refused("GET / HTTX/1.1\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1 \r\n\r\n"), 400);
	assert_int_equal(refused("GET x HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(refused("GET /?a=b HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(refused("G\x01T / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(refused("VERYLONGMETHODNAME / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost x\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\n: x\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nA: \x7f\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nExpect: later\r\n\r\n"),
			 417);
	/* An error in a complete line is seen before the head ends. */
	assert_int_equal(refused("GET / HTTP/1.1\r\nbad line\r\n"), 400);
	assert_int_equal(refused("\x16\x03\x01\x02\x05\x01\r\n"), 400);
	/* NUL bytes, which strlen-based code would miss. */
	{
		static const char nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
		struct http_request req;
		struct http_error err;
		size_t used;

		assert_int_equal(http_parse_request(nul, sizeof(nul) - 1,
						    HTTP_MAX_BODY, &req, &used,
						    &err), HTTP_ERROR);
		assert_int_equal(err.status, 400);
	}

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	snprintf(big, sizeof(big), "GET %.*s HTTP/1.1\r\n\r\n",
		 HTTP_MAX_TARGET + 1, path);
	assert_int_equal(refused(big), 414);

	/* A head over 8 KiB, and over 32 fields. */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'x', sizeof(big) - n - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(refused(big), 431);
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X%d: y\r\n", i);
	snprintf(big + n, sizeof(big) - n, "\r\n");
	assert_int_equal(refused(big), 431);
}

static void content_length_rules(void **state)
{
	struct http_request req;
	struct http_error err;
	size_t used;
	char s[128];

	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
			 400);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: +5\r\n\r\n"),
			 400);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: \r\n\r\n"),
			 400);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"),
			 400);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"),
			 400);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: 5\r\n"
				 "Content-Length: 6\r\n\r\n"), 400);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nContent-Length: "
				 "18446744073709551616\r\n\r\n"), 413);
	snprintf(s, sizeof(s), "PUT /vm HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
		 HTTP_MAX_BODY + 1);
	assert_int_equal(refused(s), 413);
	snprintf(s, sizeof(s), "PUT /vm HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
		 HTTP_MAX_BODY);
	assert_int_equal(parse(s, &req, &used, &err), HTTP_INCOMPLETE);
	assert_int_equal(refused("PUT /vm HTTP/1.1\r\nTransfer-Encoding: "
				 "chunked\r\n\r\n"), 411);
	/* The same length twice is harmless. */
	assert_int_equal(parse("PUT /vm HTTP/1.1\r\nContent-Length: 2\r\n"
			       "Content-Length: 2\r\n\r\n{}", &req, &used, &err),
			 HTTP_COMPLETE);
	/* A smaller limit is honoured. */
	assert_int_equal(http_parse_head("PUT / HTTP/1.1\r\nContent-Length: 11"
					 "\r\n\r\n", 38, 10, &req, &err),
			 HTTP_ERROR);
	assert_int_equal(err.status, 413);
}

static void response_format(void **state)
{
	size_t n;
	char *r = http_format_response(400, NULL, "{\"fault_message\":\"x\"}",
				       21, true, &n);
	const char *want = "HTTP/1.1 400 Bad Request\r\nServer: vmon\r\n"
			   "Content-Type: application/json\r\n"
			   "Content-Length: 21\r\nConnection: keep-alive\r\n\r\n"
			   "{\"fault_message\":\"x\"}";

	assert_non_null(r);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(r, want, n);
	free(r);
	r = http_format_response(405, "Allow: GET\r\n", NULL, 0, false, &n);
	assert_non_null(strstr(r, "405 Method Not Allowed"));
	assert_non_null(strstr(r, "Allow: GET\r\n\r\n"));
	assert_non_null(strstr(r, "Connection: close"));
	assert_null(strstr(r, "Content-Type"));
	free(r);
	assert_string_equal(http_reason_phrase(204), "No Content");
	assert_string_equal(http_method_name(HTTP_PATCH), "PATCH");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_request),
		cmocka_unit_test(put_with_body_and_pipelining),
		cmocka_unit_test(incomplete_until_whole),
		cmocka_unit_test(connection_semantics),
		cmocka_unit_test(malformed_heads),
		cmocka_unit_test(content_length_rules),
		cmocka_unit_test(response_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
