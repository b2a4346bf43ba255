/*
 * test-util.c: edit distance, device interning, error table, live-mapping table.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>

#include "error.h"
#include "livemap.h"
#include "util.h"

Test(util, edit_distance)
{
	cr_expect_eq(ism_edit_distance("", ""), 0);
	cr_expect_eq(ism_edit_distance("kitten", "sitting"), 3);
	cr_expect_eq(ism_edit_distance("h_put_tce_ns", "h_put_tce_n"), 1);
	cr_expect_eq(ism_edit_distance("abc", "acb"), 2);
}

Test(util, devtab_interns_in_first_seen_order)
{
	struct ism_devtab t;
	char name[32];

	devtab_init(&t);
	cr_expect_eq(devtab_intern(&t, "0000:00:01.0", 12), 1);
	cr_expect_eq(devtab_intern(&t, "virtio0", 7), 2);
	cr_expect_eq(devtab_intern(&t, "0000:00:01.0xxx", 12), 1);
	cr_expect_str_eq(devtab_name(&t, 2), "virtio0");
	cr_expect_str_eq(devtab_name(&t, 0), "-");
	cr_expect_str_eq(devtab_name(&t, 99), "-");
	/* growth and rehash keep every id */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		cr_assert_eq(devtab_intern(&t, name, strlen(name)), i + 3);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		cr_assert_eq(devtab_intern(&t, name, strlen(name)), i + 3);
	}
	devtab_free(&t);
}

Test(util, devtab_full)
{
	struct ism_devtab t;
	char name[32];
	int id = 0;

	devtab_init(&t);
	for (int i = 0; i < 65535; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		id = devtab_intern(&t, name, strlen(name));
	}
	cr_expect_eq(id, 65535);
	cr_expect_eq(devtab_intern(&t, "one-too-many", 12), -1);
	devtab_free(&t);
}

Test(util, error_exit_codes)
{
	cr_expect_eq(ism_err_exit(0), 0);
	cr_expect_eq(ism_err_exit(-ISM_EIO), 1);
	cr_expect_eq(ism_err_exit(-ISM_ECORRUPT), 2);
	cr_expect_eq(ism_err_exit(-ISM_ETRUNCATED), 2);
	cr_expect_str_eq(ism_strerror(-ISM_ETRUNCATED), "truncated input");
	cr_expect_str_eq(ism_strerror(-999), "unknown error");
}

Test(livemap, insert_find_remove_with_churn)
{
	struct livemap m;
	int created;

	livemap_init(&m);
	/* a sliding window of 1000 live entries over 200000 insertions */
	for (uint64_t a = 0; a < 200000; a++) {
		struct live_entry *e = livemap_get(&m, 1, (uint16_t)(a & 3), a * 4096, &created);

		cr_assert(created);
		e->size = a;
		if (a >= 1000) {
			uint64_t old = a - 1000;

			e = livemap_find(&m, 1, (uint16_t)(old & 3), old * 4096);
			cr_assert_not_null(e, "lost entry %llu", (unsigned long long)old);
			cr_assert_eq(e->size, old);
			livemap_remove(&m, e);
		}
	}
	cr_expect_eq(m.n, 1000);
	cr_expect_leq(m.cap, 4096, "table grew with churn: %llu", (unsigned long long)m.cap);
	for (uint64_t a = 199000; a < 200000; a++)
		cr_assert_not_null(livemap_find(&m, 1, (uint16_t)(a & 3), a * 4096));
	cr_expect_null(livemap_find(&m, 1, 0, 0));
	cr_expect_null(livemap_find(&m, 2, (uint16_t)(199999 & 3), 199999ull * 4096));
	livemap_get(&m, 1, 3, 199999ull * 4096, &created);
	cr_expect_not(created);
	livemap_free(&m);
}
