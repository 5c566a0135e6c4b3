/*
 * checksum.h - CRC32C for model bytes and a 64-bit hash for category values.
 */
#ifndef AN_CHECKSUM_H
#define AN_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C (Castagnoli) of len bytes. */
uint32_t	an_crc32c(const void *data, size_t len);

/* Continue a CRC32C over more bytes: an_crc32c(ab) = update(an_crc32c(a), b). */
uint32_t	an_crc32c_update(uint32_t crc, const void *data, size_t len);

/* 64-bit hash of a byte string; never 0 (0 marks "no value"). */
uint64_t	an_hash_bytes(const void *data, size_t len);

#endif
