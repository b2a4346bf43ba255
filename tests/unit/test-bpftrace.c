/*
 * test-bpftrace.c: the reader of the traces/capture/ (*.bt) scripts' output. The event lines
 * are copied from tests/data/bt/ (real dma.bt and pseries.bt runs in a 6.12.95 pseries
 * guest, see traces/capture/bt-samples.sh); the malformed ones are edits of those.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "error.h"
#include "reader.h"
#include "helpers.h"

#define HDR "# iommusim-bt v1 clock=boottime sg=4 script=dma.bt fields: ts_ns cpu event args... dev\n"

struct opened {
	char *path;
	struct reader *r;
};

static struct opened open_text(const char *text, const char *format)
{
	struct opened o;
	char *cause = NULL;
	int ret;

	o.path = tmp_text(text);
	ret = reader_open(o.path, format, &o.r, &cause);
	cr_assert_eq(ret, 0, "open: %s", cause ? cause : "?");
	return o;
}

static void close_text(struct opened *o)
{
	reader_close(o->r);
	unlink(o->path);
	free(o->path);
}

/* Read to the end; returns the error code of the last reader_next(). */
static int drain(struct reader *r, unsigned *n)
{
	struct ism_event ev;
	int ret;

	*n = 0;
	while ((ret = reader_next(r, &ev)) > 0)
		(*n)++;
	return ret;
}

static const char sample[] =
	"Attaching 18 probes...\n"
	HDR
	"1047931674212 0 bounce 8000000140dc578 16 ffffffffffffffff 1 0000:00:00.0\n"
	"1047934325810 0 map 800000017027000 140dc578 16 1 0 0000:00:00.0\n"
	"1047935748937 0 unmap 800000017029800 48 1 0 0000:00:00.0\n"
	"1048116595429 0 map_sg 16 16 1 100 65536 330c2000 800000017067000 4096 32cd8000 "
	"800000017068000 4096 32cd5000 800000017069000 4096 31d65000 80000001706a000 4096 "
	"0000:00:01.0\n"
	"1048123446296 0 unmap_sg 16 1 0 330c2000 32cd8000 32cd5000 31d65000 0000:00:01.0\n"
	"1048120722448 0 alloc 800000014403000 c000000014403000 4096 820 0 0 0000:00:01.0\n"
	"1048450466388 1 free 0 0 0 0 0 0000:00:01.0\n"
	"\n";

Test(bpftrace, detected_by_header)
{
	struct opened o = open_text(sample, NULL);

	cr_assert_str_eq(o.r->ops->name, "bpftrace");
	cr_assert_str_eq(reader_get_prov(o.r, "clock"), "boottime");
	close_text(&o);
}

Test(bpftrace, events)
{
	struct opened o = open_text(sample, NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_str_eq(reader_get_prov(o.r, "capture_script"), "dma.bt");
	cr_assert_eq(ev.kind, ISM_EV_BOUNCE);
	cr_assert_eq(ev.ts_ns, 1047931674212ull);
	cr_assert_eq(ev.addr, 0x8000000140dc578ull);
	cr_assert_eq(ev.size, 16);
	cr_assert_eq(ev.dma_mask, UINT64_MAX);
	cr_assert_eq(ev.flags, ISM_EF_FORCE);
	cr_assert_str_eq(reader_dev_name(o.r, ev.dev), "0000:00:00.0");

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_MAP);
	cr_assert_eq(ev.addr, 0x800000017027000ull);
	cr_assert_eq(ev.paddr, 0x140dc578ull);
	cr_assert_eq(ev.dir, ISM_DIR_TO_DEVICE);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_UNMAP);
	cr_assert_eq(ev.size, 48);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_MAP_SG);
	cr_assert_eq(ev.nents, 16);
	cr_assert_eq(ev.ents, 16);
	cr_assert_eq(ev.size, 65536, "size is the script's total, not the 4 printed entries");
	cr_assert_eq(ev.attrs, 0x100);
	cr_assert_eq(ev.nsg, 4);
	cr_assert_eq(ev.flags, ISM_EF_TRUNCATED);
	cr_assert_eq(ev.sg[3].phys, 0x31d65000ull);
	cr_assert_eq(ev.sg[3].dma, 0x80000001706a000ull);
	cr_assert_eq(ev.sg[3].len, 4096);
	cr_assert_eq(ev.sg[3].flags, ISM_SGE_PHYS | ISM_SGE_DMA);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_UNMAP_SG);
	cr_assert_eq(ev.nents, 16);
	cr_assert_eq(ev.nsg, 4);
	cr_assert_eq(ev.sg[0].phys, 0x330c2000ull);
	cr_assert_eq(ev.sg[0].flags, ISM_SGE_PHYS);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_ALLOC);
	cr_assert_eq(ev.gfp, 0x820);
	cr_assert_eq(ev.paddr, 0xc000000014403000ull);
	cr_assert_eq(ev.dir, ISM_DIR_BIDIRECTIONAL);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_FREE);
	cr_assert_eq(ev.cpu, 1);
	cr_assert_eq(reader_next(o.r, &ev), 0);
	close_text(&o);
}

Test(bpftrace, short_sg_lists_are_not_truncated)
{
	struct opened o = open_text(HDR "5 1 map_sg 2 1 2 0 8192 a000 f000 8192 b000 0 0 0 0 0 0 0 0 "
				    "0 0 nvme0\n"
				    "6 1 sync_sg_cpu 1 2 512 f000 512 0 0 0 0 0 0 nvme0\n",
				    NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.nsg, 2);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.sg[1].flags, ISM_SGE_PHYS);
	cr_assert_eq(ev.sg[1].phys, 0xb000);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_SYNC_SG_CPU);
	cr_assert_eq(ev.nents, 1);
	cr_assert_eq(ev.ents, 1);
	cr_assert_eq(ev.size, 512);
	cr_assert_eq(ev.sg[0].flags, ISM_SGE_DMA);
	close_text(&o);
}

Test(bpftrace, old_kernels_and_unknown_counts)
{
	/* old/dma-6.12.bt: no dir in dma_alloc; map_resource; unmap_sg count unknown (-1) */
	struct opened o = open_text(HDR "7 0 alloc 1000 c000000000001000 4096 cc0 - 0 dev\n"
				    "8 0 map_resource 2000 fe000000 4096 0 0 dev\n"
				    "9 0 unmap_sg -1 2 0 330c2000 0 0 0 dev\n",
				    NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.dir, ISM_DIR_UNKNOWN);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_MAP);
	cr_assert_eq(ev.flags, ISM_EF_MMIO);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.nents, 1, "count unknown: the first entry only");
	cr_assert_eq(ev.nsg, 1);
	close_text(&o);
}

Test(bpftrace, hcalls)
{
	struct opened o = open_text(
		"# iommusim-bt v1 clock=boottime sg=4 script=pseries.bt fields: x\n"
		"10 1 hcall_entry 32\n"
		"11 1 hcall_exit 32 -4\n"
		"12 1 hcall_entry 316 80000001 20000 7a000 10\n",
		NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_HCALL_ENTRY);
	cr_assert_eq(ev.opcode, 32);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.dev, 0);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.retval, -4);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.flags, ISM_EF_HCALL_ARGS);
	cr_assert_eq(ev.paddr, 0x80000001);
	cr_assert_eq(ev.size, 0x20000);
	cr_assert_eq(ev.arg, 0x7a000);
	cr_assert_eq(ev.nents, 16);
	close_text(&o);
}

Test(bpftrace, lost_events)
{
	struct opened o = open_text(HDR "1 0 map 1 2 3 1 0 d\nLost 12 events\nLost 3 events\n"
				    "5 1 unmap 1 3 1 0 d\nLost 7 events\n",
				    NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_MAP);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_LOST);
	cr_assert_eq(ev.count, 15);
	cr_assert_eq(ev.ts_ns, 5, "a loss takes the time of the next event");
	cr_assert_eq(ev.cpu, 1);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_UNMAP);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(ev.kind, ISM_EV_LOST);
	cr_assert_eq(ev.count, 7);
	cr_assert_eq(reader_next(o.r, &ev), 0);
	close_text(&o);
}

Test(bpftrace, unknown_events_are_counted)
{
	struct opened o = open_text(HDR "1 0 frobnicate 1 2 3\n2 0 unmap 1 3 1 0 d\n", NULL);
	unsigned n;

	cr_assert_eq(drain(o.r, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(o.r->unknown.n, 1);
	close_text(&o);
}

Test(bpftrace, errors_name_the_line)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ HDR "1 0 map 1 2 zz 1 0 d\n", "line 2: malformed map event: bad or missing 'size'" },
		{ HDR "1 0 map 1 2 3 1 0 d\nnot an event\n", "line 3: not an iommusim-bt event line" },
		{ HDR "1 70000 map 1 2 3 1 0 d\n", "line 2: bad cpu" },
		{ HDR "1 0 hcall_exit 32 0 extra\n", "bad or missing 'end of line'" },
		{ HDR "1 0 bounce 1 2 3 7 d\n", "bad or missing 'force'" },
		{ "# iommusim-bt v2 clock=boottime\n", "iommusim-bt version 2" },
		{ HDR "Lost many events\n", "line 2: bad \"Lost N events\" line" },
		{ HDR "1 0 map_sg 2 1 0 0 8192 a000\n", "bad or missing 'sg dma'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct opened o = open_text(bad[i].text, "bpftrace");
		unsigned n;

		cr_assert_lt(drain(o.r, &n), 0, "case %zu accepted", i);
		cr_assert(strstr(reader_error(o.r), bad[i].msg), "case %zu: %s", i,
			  reader_error(o.r));
		close_text(&o);
	}
}

Test(bpftrace, no_header)
{
	char *path = tmp_text("1 0 map 1 2 3 1 0 d\n");
	struct reader *r;
	char *cause = NULL;
	unsigned n;

	cr_assert_lt(reader_open(path, NULL, &r, &cause), 0, "detected without a header");
	free(cause);
	cr_assert_eq(reader_open(path, "bpftrace", &r, &cause), 0);
	cr_assert_lt(drain(r, &n), 0);
	cr_assert(strstr(reader_error(r), "before the"), "%s", reader_error(r));
	reader_close(r);
	unlink(path);
	free(path);
}
