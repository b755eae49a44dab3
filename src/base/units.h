/*
 * units.h -- sizes and counts written one way everywhere: `medchat
 * inspect`, the chat's /stats and the model menu say the same figure
 * with the same unit.
 *
 *	units_bytes:	"1.13 MiB", "4.08 GiB" (powers of 1024; "512 bytes"
 *			below 1 KiB, "1 byte")
 *	units_count:	"292.8K", "6.74B" (powers of 1000, as parameter
 *			counts are told)
 *	units_bytes_short: "512B", "3.8GiB", "120MiB" (a table cell: powers
 *			of 1024 from 1000 on, at most 7 characters below
 *			1000 TiB, one decimal below 99.95)
 */
#ifndef UNITS_H
#define UNITS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

void	 units_bytes(struct buf *, uint64_t);
void	 units_count(struct buf *, uint64_t);
/* Into out (len bytes, NUL-terminated, cut if too small). */
void	 units_bytes_short(char *out, size_t len, uint64_t);

#endif
