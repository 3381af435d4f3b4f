// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the API's request parsing: the input is a byte
 * stream from a client.  Byte 0 picks how it arrives (in pieces of 1-256
 * bytes, as the server's reads would see it); every request parsed from
 * the stream has its body run through the JSON body parser and every
 * schema's mapping (api/requests.c), without applying anything.  See
 * fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/requests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void schemas(const json_t *j)
{
	struct vmm_boot_source bs;
	struct vmm_machine m;
	struct vmm_drive_req d;
	struct vmm_net_req n;
	struct vmm_vsock_req vs;
	struct vmm_logger_req l;
	struct vmm_metrics_req mr;
	struct balloon_config b;
	struct rate_limiter_config rl;
	struct rate_limiter_patch rp[2];
	enum api_action a;
	const char *s;
	char err[512], *extra = NULL;
	uint32_t u;
	bool p;

	api_parse_boot_source(j, &bs, err, sizeof(err));
	api_parse_machine(j, true, &m, err, sizeof(err));
	api_parse_machine(j, false, &m, err, sizeof(err));
	api_parse_drive(j, "rootfs", &d, err, sizeof(err));
	api_parse_drive_patch(j, NULL, &s, &rp[0], err, sizeof(err));
	api_parse_net(j, "eth0", &n, err, sizeof(err));
	api_parse_net_patch(j, NULL, &rp[0], &rp[1], err, sizeof(err));
	api_parse_vsock(j, &vs, err, sizeof(err));
	api_parse_entropy(j, &rl, err, sizeof(err));
	api_parse_balloon(j, &b, err, sizeof(err));
	api_parse_balloon_update(j, &u, err, sizeof(err));
	api_parse_balloon_stats_update(j, &u, err, sizeof(err));
	api_parse_serial(j, &s, err, sizeof(err));
	api_parse_logger(j, &l, err, sizeof(err));
	api_parse_metrics(j, &mr, &extra, err, sizeof(err));
	free(extra);
	api_parse_action(j, &a, err, sizeof(err));
	api_parse_vm_state(j, &p, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[HTTP_MAX_HEAD + HTTP_MAX_BODY];
	size_t len = 0, piece, off = 1;
	char err[512];

	if (size < 1)
		return 0;
	piece = (size_t)data[0] + 1;
	/* Feed the stream as reads would: parse after every piece. */
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;
		struct http_request req;
		struct http_error herr;
		enum http_result r;
		size_t used;

		if (n > sizeof(buf) - len)
			n = sizeof(buf) - len;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		for (;;) {
			r = http_parse_request(buf, len, HTTP_MAX_BODY, &req,
					       &used, &herr);
			if (r == HTTP_ERROR) {
				if (!herr.reason || herr.status < 400)
					abort();
				return 0;	/* the server closes here */
			}
			if (r == HTTP_INCOMPLETE)
				break;
			if (used == 0 || used > len ||
			    req.content_length > HTTP_MAX_BODY)
				abort();
			json_t *j = jv_parse_body(req.body, req.content_length,
						  err, sizeof(err));
			if (j)
				schemas(j);
			json_decref(j);
			memmove(buf, buf + used, len - used);
			len -= used;
		}
		if (len == sizeof(buf))
			return 0;
	}
	return 0;
}
