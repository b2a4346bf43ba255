/*
 * fletcher4.c: the native format's Fletcher-4 checksum (native.h, iommusim-trace(5)), computed
 * over four interleaved lanes and combined exactly, as ZFS's SIMD fletcher_4 does.
 *
 * The definition (ism_fletcher4_ref()) is one chain: a += w; b += a; c += b; d += c per 32-bit
 * word. Lane j (0..3) runs the same recurrence from zero over the words j, j + 4, j + 8, ...;
 * for a run of n = 4m words the run's own sums are then, all modulo 2^64,
 *   a = sum_j a_j
 *   b = sum_j 4 b_j - j a_j
 *   c = sum_j 16 c_j - (6 + 4j) b_j + j(j-1)/2 a_j
 *   d = sum_j 64 d_j - (48 + 16j) c_j + e_j b_j + z_j a_j,  e = {4, 10, 20, 34}, z = {0, 0, 0, -1}
 * (word i of the run, 1-based, has weights 1, r, C(r+1,2), C(r+2,3) in a, b, c, d with
 * r = n - i + 1; in its lane r = 4t - j where t is its weight there: the coefficients write
 * those polynomials of t in the lane's basis 1, t, C(t+1,2), C(t+2,3)). A run continues the
 * running sums A, B, C, D as if it started from them (the recurrence is linear):
 *   A += a;  B += nA + b;  C += nB + C(n+1,2) A + c;  D += nC + C(n+1,2) B + C(n+2,3) A + d
 * (with the old A, B, C). Tests (tests/unit/test-fletcher4.c) check it against the definition.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "native.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && (defined(__GNUC__) || defined(__clang__))
#define F4_LANES 1

typedef uint32_t f4_u32x4 __attribute__((vector_size(16)));
typedef uint64_t f4_u64x4 __attribute__((vector_size(32)));

/* Words per run at most: C(n+2,3) is then computed without overflow. */
#define F4_MAX_WORDS (UINT64_C(1) << 20)
/* Shorter inputs go word by word: the combination costs about as much as 16 words. */
#define F4_MIN_WORDS 16

/* The four lanes over @groups groups of 4 words at @p: s[0..3] = a, b, c, d, each by lane. */
static inline __attribute__((always_inline)) void f4_lanes_body(const unsigned char *p,
								 size_t groups, uint64_t s[4][4])
{
	f4_u64x4 a = { 0, 0, 0, 0 }, b = a, c = a, d = a;
	f4_u32x4 w0, w1, w2, w3;
	size_t g = 0;

	for (; g + 4 <= groups; g += 4, p += 64) {
		__builtin_memcpy(&w0, p, 16);
		__builtin_memcpy(&w1, p + 16, 16);
		__builtin_memcpy(&w2, p + 32, 16);
		__builtin_memcpy(&w3, p + 48, 16);
		a += __builtin_convertvector(w0, f4_u64x4);
		b += a;
		c += b;
		d += c;
		a += __builtin_convertvector(w1, f4_u64x4);
		b += a;
		c += b;
		d += c;
		a += __builtin_convertvector(w2, f4_u64x4);
		b += a;
		c += b;
		d += c;
		a += __builtin_convertvector(w3, f4_u64x4);
		b += a;
		c += b;
		d += c;
	}
	for (; g < groups; g++, p += 16) {
		__builtin_memcpy(&w0, p, 16);
		a += __builtin_convertvector(w0, f4_u64x4);
		b += a;
		c += b;
		d += c;
	}
	__builtin_memcpy(s[0], &a, 32);
	__builtin_memcpy(s[1], &b, 32);
	__builtin_memcpy(s[2], &c, 32);
	__builtin_memcpy(s[3], &d, 32);
}

static void f4_lanes_generic(const unsigned char *p, size_t groups, uint64_t s[4][4])
{
	f4_lanes_body(p, groups, s);
}

#if defined(__x86_64__)
/* The same code with 256-bit vectors (one instruction per lane set instead of two). */
__attribute__((target("avx2"))) static void f4_lanes_avx2(const unsigned char *p,
							   size_t groups, uint64_t s[4][4])
{
	f4_lanes_body(p, groups, s);
}
#endif

static void f4_lanes(const unsigned char *p, size_t groups, uint64_t s[4][4], int simd)
{
#if defined(__x86_64__)
	if (simd && __builtin_cpu_supports("avx2")) {
		f4_lanes_avx2(p, groups, s);
		return;
	}
#endif
	f4_lanes_generic(p, groups, s);
}

/* Continue @f over a run of @n words whose lanes' sums are @s (see the top of the file). */
static void f4_combine(struct ism_fletcher4 *f, const uint64_t s[4][4], uint64_t n)
{
	static const uint64_t e[4] = { 4, 10, 20, 34 }, z[4] = { 0, 0, 0, UINT64_MAX };
	uint64_t a = 0, b = 0, c = 0, d = 0;
	uint64_t t2 = n * (n + 1) / 2, t3 = n * (n + 1) * (n + 2) / 6;

	for (uint64_t j = 0; j < 4; j++) {
		a += s[0][j];
		b += 4 * s[1][j] - j * s[0][j];
		c += 16 * s[2][j] - (6 + 4 * j) * s[1][j] + j * (j - 1) / 2 * s[0][j];
		d += 64 * s[3][j] - (48 + 16 * j) * s[2][j] + e[j] * s[1][j] + z[j] * s[0][j];
	}
	f->d += n * f->c + t2 * f->b + t3 * f->a + d;
	f->c += n * f->b + t2 * f->a + c;
	f->b += n * f->a + b;
	f->a += a;
}
#endif

static void f4_add(struct ism_fletcher4 *f, const unsigned char *p, size_t n, int simd)
{
#ifdef F4_LANES
	while (n / 4 >= F4_MIN_WORDS) {
		uint64_t words = n / 4 & ~(uint64_t)3;
		uint64_t s[4][4];

		if (words > F4_MAX_WORDS)
			words = F4_MAX_WORDS;
		f4_lanes(p, (size_t)(words / 4), s, simd);
		f4_combine(f, s, words);
		p += words * 4;
		n -= (size_t)words * 4;
	}
#else
	(void)simd;
#endif
	ism_fletcher4_ref(f, p, n);
}

void ism_fletcher4_add(struct ism_fletcher4 *f, const unsigned char *p, size_t n)
{
	f4_add(f, p, n, 1);
}

void ism_fletcher4_add_portable(struct ism_fletcher4 *f, const unsigned char *p, size_t n)
{
	f4_add(f, p, n, 0);
}
