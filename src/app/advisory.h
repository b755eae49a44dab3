/*
 * advisory.h -- the model-risk advisory shown before the first answer of
 * a model (data/advisory.txt, compiled in).  The store records who
 * acknowledged which (version, sha256 of the text) for which model
 * (store.h: store_ack_*).
 */
#ifndef ADVISORY_H
#define ADVISORY_H

#include "store.h"

/* The advisory text, without its version line; UTF-8, ends in '\n'. */
const char	*advisory_text(void);
/* Its version ("1", "2"...), from the "advisory-version:" line. */
const char	*advisory_version(void);
/* SHA-256 of advisory_text() as 64 lower-case hex digits. */
const char	*advisory_sha256(void);

/* Both, as the store wants them (store_open). */
const struct store_advisory *advisory_ident(void);

#endif
