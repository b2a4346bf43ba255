/*
 * test-native.c: the native format round-trips every field, and rejects damaged files
 * with the record number.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "error.h"
#include "native.h"
#include "reader.h"
#include "helpers.h"

static const struct ism_sge sg3[] = {
	{ 0x1000, 0x8000000000001000ull, 8192, ISM_SGE_PHYS | ISM_SGE_DMA },
	{ 0x5000, 0, 0, ISM_SGE_PHYS },
	{ 0x9000, 0, 0, ISM_SGE_PHYS },
};

/* A varied event sequence covering every field and both continuation kinds. */
static void fill(struct ism_event *ev, unsigned i, const char **dev)
{
	static const char *devs[] = { NULL, "0000:00:01.0", "virtio3", "0000:00:02.0" };

	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = 1000ull * i + (i % 7);
	ev->cpu = (uint16_t)(i % 5);
	ev->kind = (uint8_t)(1 + i % (ISM_EV__COUNT - 1));
	ev->dir = (uint8_t)(i % 5);
	ev->addr = 0x800000000000ull + 4096ull * i;
	if (ev->kind == ISM_EV_HCALL_ENTRY || ev->kind == ISM_EV_HCALL_EXIT)
		ev->opcode = 0x20 + 4 * (i % 64); /* addr is the opcode: a hypercall number */
	ev->paddr = 0x2000ull * i;
	ev->size = 512u * (i % 9);
	ev->arg = (uint64_t)-(int64_t)(i % 3);
	ev->attrs = i % 4 ? ISM_ATTR_SKIP_CPU_SYNC : 0;
	ev->nents = i % 17;
	ev->ents = i % 13;
	ev->flags = (uint16_t)(i % 64);
	ev->dev = (uint16_t)(i % 4);
	*dev = devs[ev->dev];
	if (ism_kind_has_sg(ev->kind) && i % 2) {
		ev->sg = sg3;
		ev->nsg = 3;
	}
	if (ev->kind == ISM_EV_MARKER) {
		ev->text = i % 3 ? "iommusim phase=disk-read" :
			   "a longer marker text that needs two continuation blocks because it is "
			   "longer than sixty-four bytes";
		ev->text_len = (uint32_t)strlen(ev->text);
		ev->size = 0;
	}
}

#define N 5000

static char *write_sample(void)
{
	char *path = tmp_file("", 0), *cause = NULL;
	struct ism_writer *w;
	struct ism_event ev;
	const char *dev;

	cr_assert_eq(writer_open(path, NULL, &w, &cause), 0);
	writer_add_prov(w, "kernel", "6.12.95+deb12-powerpc64le");
	for (unsigned i = 0; i < N; i++) {
		fill(&ev, i, &dev);
		cr_assert_eq(writer_write(w, &ev, dev), 0);
	}
	cr_assert_eq(writer_close(w, &cause), 0);
	return path;
}

Test(native, round_trip_every_field)
{
	char *path = write_sample(), *cause = NULL;
	struct reader *r;
	struct ism_event ev, want;
	const char *dev;
	unsigned i = 0;
	int ret;

	cr_assert_eq(reader_open(path, NULL, &r, &cause), 0, "%s", cause);
	cr_expect_str_eq(r->ops->name, "native");
	cr_expect_str_eq(reader_get_prov(r, "kernel"), "6.12.95+deb12-powerpc64le");
	while ((ret = reader_next(r, &ev)) > 0) {
		fill(&want, i, &dev);
		cr_assert_eq(ev.ts_ns, want.ts_ns, "event %u", i);
		cr_assert_eq(ev.kind, want.kind);
		cr_assert_eq(ev.cpu, want.cpu);
		cr_assert_eq(ev.dir, want.dir);
		cr_assert_eq(ev.addr, want.addr);
		cr_assert_eq(ev.paddr, want.paddr);
		cr_assert_eq(ev.size, want.size);
		cr_assert_eq(ev.arg, want.arg);
		cr_assert_eq(ev.attrs, want.attrs);
		cr_assert_eq(ev.nents, want.nents);
		cr_assert_eq(ev.ents, want.ents);
		cr_assert_eq(ev.flags, want.flags);
		if (dev)
			cr_assert_str_eq(reader_dev_name(r, ev.dev), dev);
		else
			cr_assert_eq(ev.dev, 0);
		cr_assert_eq(ev.nsg, want.nsg);
		for (unsigned k = 0; k < ev.nsg; k++) {
			cr_assert_eq(ev.sg[k].phys, want.sg[k].phys);
			cr_assert_eq(ev.sg[k].dma, want.sg[k].dma);
			cr_assert_eq(ev.sg[k].len, want.sg[k].len);
			cr_assert_eq(ev.sg[k].flags, want.sg[k].flags);
		}
		if (want.text)
			cr_assert_str_eq(ev.text, want.text);
		else
			cr_assert_null(ev.text);
		i++;
	}
	cr_expect_eq(ret, 0, "%s", reader_error(r));
	cr_expect_eq(i, N);
	reader_close(r);
	unlink(path);
	free(path);
}

static int read_all(const char *path, char **msg)
{
	struct reader *r;
	struct ism_event ev;
	char *cause = NULL;
	int ret = reader_open(path, NULL, &r, &cause);

	if (ret < 0) {
		*msg = cause;
		return ret;
	}
	while ((ret = reader_next(r, &ev)) > 0)
		;
	*msg = ret < 0 ? strdup(reader_error(r)) : NULL;
	reader_close(r);
	return ret;
}

Test(native, truncation_anywhere_is_detected)
{
	char *path = write_sample(), *msg;
	size_t len = 0;
	unsigned char *data = slurp(path, &len);

	/* cut at record boundaries and inside records: never silently short */
	for (size_t cut = 8; cut < len; cut += len / 97 + 13) {
		char *p = tmp_file(data, cut);
		int ret = read_all(p, &msg);

		cr_expect_lt(ret, 0, "cut at %zu read as complete", cut);
		cr_expect(ret == -ISM_ETRUNCATED || ret == -ISM_ECORRUPT || ret == -ISM_EFORMAT,
			  "cut at %zu: %d", cut, ret);
		free(msg);
		unlink(p);
		free(p);
	}
	unlink(path);
	free(path);
	free(data);
}

Test(native, header_errors_name_the_problem)
{
	char *path = write_sample(), *msg;
	size_t len = 0;
	unsigned char *data = slurp(path, &len), *copy;
	struct {
		size_t off;
		unsigned char val;
		int err;
		const char *text;
	} cases[] = {
		{ NH_VERSION, 9, -ISM_EVERSION, "version 9" },
		{ NH_RECSIZE, 32, -ISM_ECORRUPT, "record size" },
		{ NH_BOM, 0x99, -ISM_ECORRUPT, "byte-order" },
		{ NH_HDRSIZE, 0x41, -ISM_ECORRUPT, "inconsistent sizes" },
	};

	cr_assert_not_null(data);
	copy = malloc(len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p;
		int ret;

		memcpy(copy, data, len);
		copy[cases[i].off] = cases[i].val;
		p = tmp_file(copy, len);
		ret = read_all(p, &msg);
		cr_expect_eq(ret, cases[i].err, "case %zu: %d", i, ret);
		cr_expect_not_null(msg);
		if (msg)
			cr_expect_not_null(strstr(msg, cases[i].text), "case %zu: %s", i, msg);
		free(msg);
		unlink(p);
		free(p);
	}
	unlink(path);
	free(path);
	free(data);
	free(copy);
}

Test(native, corrupt_record_names_its_number)
{
	char *path = write_sample(), *msg;
	size_t len = 0, hdr;
	unsigned char *data = slurp(path, &len);
	char *p;

	hdr = ism_le32(data + NH_HDRSIZE);
	/* the first record is a DEVICE definition or an event; make its kind invalid */
	data[hdr + NR_KIND] = 200;
	p = tmp_file(data, len);
	cr_expect_eq(read_all(p, &msg), -ISM_ECORRUPT);
	cr_expect_not_null(strstr(msg, "record 0: invalid event kind 200"), "%s", msg);
	free(msg);
	unlink(p);
	free(p);
	unlink(path);
	free(path);
	free(data);
}
