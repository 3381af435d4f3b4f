// SPDX-License-Identifier: MIT
#include "api/jv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

#define JSON_MAX_EXACT	(1ULL << 53)	/* doubles hold integers exactly */
#define bad(err, len, ...) err_say(err, len, -EINVAL, __VA_ARGS__)

static const char *type_name(enum jtype t)
{
	static const char *const names[] = {
		[J_STRING] = "a string", [J_BOOL] = "a boolean",
		[J_UINT] = "an integer", [J_OBJECT] = "an object",
		[J_ARRAY] = "an array", [J_ANY] = "a value",
	};
	return names[t];
}

static int check_value(const json_t *it, const char *schema,
		       const struct jfield *f, char *err, size_t len)
{
	uint64_t max = f->max ? f->max : JSON_MAX_EXACT;
	bool ok;
	double d;

	switch (f->type) {
	case J_STRING: ok = json_is_string(it); break;
	case J_BOOL: ok = json_is_boolean(it); break;
	case J_OBJECT: ok = json_is_object(it); break;
	case J_ARRAY: ok = json_is_array(it); break;
	case J_UINT: ok = json_is_number(it); break;
	default: ok = true; break;
	}
	if (!ok)
		return bad(err, len, "%s: field '%s' must be %s", schema,
			   f->name, type_name(f->type));
	if (f->type != J_UINT)
		return 0;
	d = json_number_value(it);
	if (!isfinite(d) || d != floor(d) || d < (double)f->min ||
	    d > (double)max)
		return bad(err, len, "%s: field '%s' must be an integer from "
			   "%llu to %llu, not %.17g", schema, f->name,
			   (unsigned long long)f->min, (unsigned long long)max,
			   d);
	return 0;
}

int jv_check(const json_t *obj, const char *schema, const struct jfield *fields,
	     size_t n, char *err, size_t len)
{
	const char *key;
	json_t *it;
	int ret;

	if (!json_is_object(obj))
		return bad(err, len, "%s: expected a JSON object", schema);
	/* In the body's order; jv_parse_body refused keys given twice. */
	json_object_foreach((json_t *)obj, key, it) {
		const struct jfield *f = NULL;

		for (size_t i = 0; i < n && !f; i++)
			if (!strcmp(fields[i].name, key))
				f = &fields[i];
		if (!f)
			return bad(err, len, "%s: unknown field '%.64s'", schema,
				   key);
		if (json_is_null(it))
			continue;
		if (f->unsupported)
			return bad(err, len, "%s: field '%s': %s", schema,
				   f->name, f->unsupported);
		if ((ret = check_value(it, schema, f, err, len)))
			return ret;
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].required && !jv_get(obj, fields[i].name))
			return bad(err, len, "%s: missing field '%s'", schema,
				   fields[i].name);
	return 0;
}

const json_t *jv_get(const json_t *obj, const char *name)
{
	const json_t *it = json_object_get(obj, name);

	return json_is_null(it) ? NULL : it;
}

const char *jv_str(const json_t *obj, const char *name)
{
	return json_string_value(jv_get(obj, name));
}

bool jv_bool(const json_t *obj, const char *name, bool dflt)
{
	const json_t *it = jv_get(obj, name);

	return json_is_boolean(it) ? json_is_true(it) : dflt;
}

uint64_t jv_uint(const json_t *obj, const char *name, uint64_t dflt)
{
	const json_t *it = jv_get(obj, name);
	double d = json_number_value(it);

	/* In range for the cast, even before jv_check has refused it. */
	return json_is_number(it) && d >= 0 && d < 0x1p64 ? (uint64_t)d : dflt;
}

static bool jv_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The object key whose closing quote is body[end - 1], decoded into buf
 * (at most 64 bytes of it); false when there is none.
 */
static bool key_before(const char *body, size_t end, char *buf, size_t len)
{
	size_t i = end - 1, bs;
	json_t *k;

	if (end < 2 || body[end - 1] != '"')
		return false;
	/* The opening quote: the first one back not escaped by a '\'. */
	do {
		if (!i--)
			return false;
		for (bs = 0; bs < i && body[i - 1 - bs] == '\\'; bs++)
			;
	} while (body[i] != '"' || bs % 2);
	k = json_loadb(body + i, end - i, JSON_DECODE_ANY, NULL);
	snprintf(buf, len, "%.64s", json_is_string(k) ? json_string_value(k)
						       : "?");
	json_decref(k);
	return true;
}

/* Why json_loadb refused body, naming the field when it can. */
static void parse_error(const char *body, const json_error_t *e, char *err,
			size_t elen)
{
	size_t pos = e->position > 0 ? (size_t)e->position : 0, start, k;
	char key[80];

	switch (json_error_code(e)) {
	case json_error_duplicate_key:
		/* The position is just past the second key. */
		if (!key_before(body, pos, key, sizeof(key)))
			snprintf(key, sizeof(key), "?");
		bad(err, elen, "field '%s' given twice at byte %zu", key, pos);
		return;
	case json_error_numeric_overflow:
		/* Past a number beyond a double's range (1e400); its key is
		 * the string before the ':' before it, if any. */
		for (start = pos; start && body[start - 1] &&
		     strchr("0123456789+-.eE", body[start - 1]); start--)
			;
		for (k = start; k && jv_space(body[k - 1]); k--)
			;
		if (k && body[k - 1] == ':') {
			for (k--; k && jv_space(body[k - 1]); k--)
				;
			if (key_before(body, k, key, sizeof(key))) {
				bad(err, elen, "field '%s': the number %.*s is "
				    "out of range at byte %zu", key,
				    (int)(pos - start > 40 ? 40 : pos - start),
				    body + start, start);
				return;
			}
		}
		bad(err, elen, "the number %.*s is out of range at byte %zu",
		    (int)(pos - start > 40 ? 40 : pos - start), body + start,
		    start);
		return;
	default:
		bad(err, elen, "malformed JSON at byte %zu", pos);
		return;
	}
}

json_t *jv_parse_body(const char *body, size_t len, char *err, size_t elen)
{
	/* Any value, so that "[]" is "expected a JSON object"; the value's
	 * end checked here, to say where trailing data starts. */
	const size_t flags = JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
			     JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL;
	json_error_t e;
	size_t end;
	json_t *j;

	if (!len) {
		bad(err, elen, "the request needs a JSON body");
		return NULL;
	}
	j = json_loadb(body, len, flags, &e);
	if (!j) {
		parse_error(body, &e, err, elen);
		return NULL;
	}
	end = e.position > 0 ? (size_t)e.position : len;
	while (end < len && jv_space(body[end]))
		end++;
	if (end < len) {
		json_decref(j);
		bad(err, elen, "trailing data after the JSON value at byte %zu",
		    end);
		return NULL;
	}
	return j;
}

/* The length of the UTF-8 sequence at p (as jansson takes them), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* the NUL stops here too */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

json_t *jv_text(const char *s)
{
	json_t *j = json_string(s);
	unsigned char *c, *p;
	size_t n;

	if (j || !s || !(c = (unsigned char *)strdup(s)))
		return j;
	for (p = c; *p; p += n)
		if (!(n = utf8_len(p)))
			*p = '?', n = 1;
	j = json_string((char *)c);
	free(c);
	return j;
}

json_t *jv_u64(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v)
			      : json_real((double)v);
}

char *jv_compact(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}
