/*
 * test-fletcher4.c: the four-lane Fletcher-4 (fletcher4.c), with AVX2 where the CPU has it
 * and without, gives the sums of the definition (ism_fletcher4_ref() in native.h) bit for bit: on random buffers of every length up to a
 * few blocks and long ones, at every alignment, from random running sums, and continued
 * across calls of random sizes.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* xorshift64*: reproducible random bytes */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static unsigned char *random_buf(size_t n)
{
	unsigned char *b = malloc(n ? n : 1);

	cr_assert(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)rnd();
	return b;
}

static struct ism_fletcher4 random_sums(void)
{
	struct ism_fletcher4 f = { rnd(), rnd(), rnd(), rnd() };

	return f;
}

static void assert_same(const struct ism_fletcher4 *got, const struct ism_fletcher4 *want,
			size_t len, size_t align)
{
	cr_assert(got->a == want->a && got->b == want->b && got->c == want->c &&
		  got->d == want->d,
		  "length %zu, alignment %zu: got %016llx %016llx %016llx %016llx, want %016llx "
		  "%016llx %016llx %016llx",
		  len, align, (unsigned long long)got->a, (unsigned long long)got->b,
		  (unsigned long long)got->c, (unsigned long long)got->d,
		  (unsigned long long)want->a, (unsigned long long)want->b,
		  (unsigned long long)want->c, (unsigned long long)want->d);
}

/* ism_fletcher4_add() and ism_fletcher4_add_portable() from @from over @len bytes at @p */
static void check(const struct ism_fletcher4 *from, const unsigned char *p, size_t len,
		  size_t align)
{
	struct ism_fletcher4 want = *from, got = *from, port = *from;

	ism_fletcher4_ref(&want, p, len);
	ism_fletcher4_add(&got, p, len);
	assert_same(&got, &want, len, align);
	ism_fletcher4_add_portable(&port, p, len);
	assert_same(&port, &want, len, align);
}

Test(fletcher4, known_value)
{
	/* words 1, 2, 3, 4 from zero: a = 10, b = 1+3+6+10, c = 1+4+10+20, d = 1+5+15+35 */
	static const unsigned char w[16] = { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0 };
	struct ism_fletcher4 f = { 0, 0, 0, 0 }, z = f;

	ism_fletcher4_ref(&f, w, sizeof(w));
	cr_assert(f.a == 10 && f.b == 20 && f.c == 35 && f.d == 56);
	check(&z, w, sizeof(w), 0);
}

Test(fletcher4, every_length_and_alignment)
{
	enum { MAXLEN = 1200 };
	unsigned char *buf = random_buf(MAXLEN + 64);

	for (size_t len = 0; len <= MAXLEN; len++) {
		for (size_t align = 0; align < 16; align++) {
			struct ism_fletcher4 from = random_sums();

			check(&from, buf + align, len, align);
		}
	}
	free(buf);
}

Test(fletcher4, long_buffers)
{
	/* past the four-lane run's limit (2^20 words, fletcher4.c) and not a multiple of it */
	static const size_t lens[] = { 4096, 65536 + 4, (4u << 20) - 4, 4u << 20, (4u << 20) + 4,
				       (9u << 20) + 60 };
	unsigned char *buf = random_buf((9u << 20) + 64 + 3);

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t align = 0; align < 4; align++) {
			struct ism_fletcher4 from = random_sums();

			check(&from, buf + align, lens[i], align);
		}
	}
	free(buf);
}

Test(fletcher4, all_ones_words)
{
	/* the largest words: every lane sum wraps modulo 2^64 */
	enum { LEN = 1u << 16 };
	unsigned char *buf = malloc(LEN);
	struct ism_fletcher4 from = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };

	cr_assert(buf);
	memset(buf, 0xff, LEN);
	check(&from, buf, LEN, 0);
	free(buf);
}

Test(fletcher4, continued_across_calls)
{
	/* a running sum over pieces of random sizes (some not a multiple of the lane width) */
	enum { LEN = 3u << 20 };
	unsigned char *buf = random_buf(LEN);

	for (unsigned round = 0; round < 20; round++) {
		struct ism_fletcher4 want = { 0, 0, 0, 0 }, got = want, port = want;
		size_t off = 0;

		ism_fletcher4_ref(&want, buf, LEN);
		while (off < LEN) {
			size_t piece = round % 2 ? 4 * (rnd() % 300) : 4 * (rnd() % 70000);

			if (piece > LEN - off)
				piece = LEN - off;
			ism_fletcher4_add(&got, buf + off, piece);
			ism_fletcher4_add_portable(&port, buf + off, piece);
			off += piece;
		}
		assert_same(&got, &want, LEN, round);
		assert_same(&port, &want, LEN, round);
	}
	free(buf);
}
