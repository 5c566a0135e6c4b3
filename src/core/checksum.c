/*
 * checksum.c - table-driven CRC32C and FNV-1a string hashing.
 */
#include "checksum.h"

/*
 * Lookup tables for the reflected Castagnoli polynomial 0x82F63B78, for
 * "slicing-by-8": table[k][b] is the CRC of byte b followed by k zero bytes,
 * so eight bytes are folded in with eight independent lookups (Kounavis and
 * Berry, "A Systematic Approach to Building High Performance Software-Based
 * CRC Generators", ISCC 2005).
 */
static uint32_t crc_table[8][256];
static int	crc_table_ready = 0;

/* Fill crc_table once. */
static void
crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ UINT32_C(0x82F63B78) : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc_table[k][i] = crc_table[0][crc_table[k - 1][i] & 0xFF] ^ (crc_table[k - 1][i] >> 8);
	crc_table_ready = 1;
}

/* Continue a CRC32C over more bytes: an_crc32c(ab) = update(an_crc32c(a), b). */
uint32_t
an_crc32c_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!crc_table_ready)
		crc_table_init();
	crc ^= UINT32_C(0xFFFFFFFF);
	for (; len >= 8; len -= 8, p += 8)
	{
		uint32_t	lo = crc ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8 |
								(uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);

		crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
			crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
			crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
	}
	for (; len > 0; len--, p++)
		crc = crc_table[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
	return crc ^ UINT32_C(0xFFFFFFFF);
}

/* CRC32C (Castagnoli) of len bytes. */
uint32_t
an_crc32c(const void *data, size_t len)
{
	return an_crc32c_update(0, data, len);
}

/* 64-bit FNV-1a of a byte string with a final avalanche; never 0. */
uint64_t
an_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t	h = UINT64_C(0xCBF29CE484222325);

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64_C(0x100000001B3);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xFF51AFD7ED558CCD);
	h ^= h >> 33;
	return h ? h : 1;
}
