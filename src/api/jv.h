/* SPDX-License-Identifier: MIT */
/*
 * Strict JSON for the API: a body parsed whole (one value, valid UTF-8, no
 * key twice), objects checked against a table of fields (type, range,
 * required, refused with a reason), member getters that treat null as
 * absent, and the nodes answers are built from.  The schemas themselves
 * are requests.c's.
 */
#ifndef VMON_API_JV_H
#define VMON_API_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum jtype { J_STRING, J_BOOL, J_UINT, J_OBJECT, J_ARRAY, J_ANY };

struct jfield {
	const char *name;
	enum jtype type;
	bool required;
	uint64_t min, max;		/* J_UINT; max 0 means 2^53 */
	const char *unsupported;	/* set and not null: refused, saying so */
};

/*
 * obj is an object whose members are all in fields, each once, of its
 * type (null counts as absent), with the required ones present.
 */
int jv_check(const json_t *obj, const char *schema, const struct jfield *fields,
	     size_t n, char *err, size_t len);
/* A member's value; absent and null both give NULL / the default. */
const json_t *jv_get(const json_t *obj, const char *name);
const char *jv_str(const json_t *obj, const char *name);
bool jv_bool(const json_t *obj, const char *name, bool dflt);
uint64_t jv_uint(const json_t *obj, const char *name, uint64_t dflt);

/*
 * Parse a whole body: one JSON value and nothing after it, valid UTF-8,
 * no object with a key twice, no NUL in strings.  Every number is a real
 * (a double, as JSON has one number type); jv_check's J_UINT then takes
 * only the integral ones in its range.
 */
json_t *jv_parse_body(const char *body, size_t len, char *err, size_t elen);

/* For answers: a string node that is valid UTF-8 even when s is not (bytes
 * that are not UTF-8 become '?'); an integer node for v; and j printed
 * compactly, in its insertion order, malloc'd (NULL when out of memory). */
json_t *jv_text(const char *s);
json_t *jv_u64(uint64_t v);
char *jv_compact(const json_t *j);

#endif
