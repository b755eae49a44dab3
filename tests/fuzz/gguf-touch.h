/*
 * gguf-touch.h -- shared by the GGUF fuzz target and the corpus replay
 * test: parse an image with gguf_open_mem() and, if it is accepted, read
 * every byte the reader hands out (keys, values, array elements, tensor
 * names and data) so AddressSanitizer sees any pointer that escapes the
 * image.  On rejection, check the error is one line naming the input.
 *
 * Returns 1 if accepted, 0 if rejected with a well-formed message, -1
 * if rejected with a malformed one.
 */
#ifndef GGUF_TOUCH_H
#define GGUF_TOUCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"

static volatile uint64_t gguf_touch_sink;

static int
gguf_touch(const uint8_t *data, size_t size)
{
	struct gguf_file	*f;
	const struct gguf_kv	*kv;
	const struct gguf_tensor *t;
	char			*cause = NULL;
	uint64_t		 i, j, h = 0, k;
	int			 r;

	if (gguf_open_mem("fuzz.gguf", data, size, &f, &cause) != 0) {
		r = (cause != NULL && strncmp(cause, "fuzz.gguf: ", 11) == 0 &&
		    strchr(cause, '\n') == NULL) ? 0 : -1;
		free(cause);
		return r;
	}
	for (i = 0; i < f->n_kv; i++) {
		kv = &f->kv[i];
		h += strlen(kv->key) + kv->type;
		if (gguf_find(f, kv->key) != kv)
			abort();	/* duplicates must have been rejected */
		switch (kv->type) {
		case GGUF_T_STRING:
			for (k = 0; k < kv->v.str.len; k++)
				h += (uint8_t)kv->v.str.ptr[k];
			break;
		case GGUF_T_ARRAY:
			for (j = 0; j < kv->v.arr.n; j++) {
				if (kv->v.arr.type == GGUF_T_STRING) {
					for (k = 0; k < kv->v.arr.strs[j].len;
					    k++)
						h += (uint8_t)
						    kv->v.arr.strs[j].ptr[k];
				} else {
					h += gguf_arr_u64(kv, j);
					h += (uint64_t)gguf_arr_i64(kv, j);
					h += (uint64_t)(gguf_arr_f64(kv, j) != 0);
				}
			}
			break;
		default:
			h += kv->v.u64;
			break;
		}
	}
	for (i = 0; i < f->n_tensors; i++) {
		t = &f->tensors[i];
		if (gguf_find_tensor(f, t->name) != t)
			abort();
		if (t->offset % f->alignment != 0 ||
		    f->data_start + t->offset + t->nbytes > f->size)
			abort();	/* the reader promised these */
		for (k = 0; k < t->nbytes; k += 61)
			h += ((const uint8_t *)t->data)[k];
		if (t->nbytes > 0)
			h += ((const uint8_t *)t->data)[t->nbytes - 1];
	}
	gguf_touch_sink = h;
	gguf_close(f);
	return 1;
}

#endif
