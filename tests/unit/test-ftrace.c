/*
 * test-ftrace.c: the ftrace text reader on lines in every layout it accepts. The event lines
 * are copied from real recordings (a 6.12.95 pseries guest) or follow the kernel's TP_printk
 * formats quoted in the comments.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "error.h"
#include "reader.h"
#include "helpers.h"

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

static const char cat_trace[] =
	"# tracer: nop\n"
	"#\n"
	"# entries-in-buffer/entries-written: 9/9   #P:2\n"
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
	"#              | |         |   |||||     |         |\n"
	"          <idle>-0       [000] d....     0.000000: hcall_entry: opcode=88\n"
	"          <idle>-0       [000] d....     0.000003: hcall_exit: opcode=88 retval=0\n"
	"          insmod-174     [000] d....     4.490727: dma_map_page: 0000:00:00.0 dir=TO_DEVICE "
	"dma_addr=80000001eeac0f8 size=16 phys_addr=1eeac0f8 attrs=\n"
	"          insmod-174     [001] d.h..     4.493343: dma_unmap_page: 0000:00:00.0 dir=TO_DEVICE "
	"dma_addr=80000001eeac0f8 size=16 attrs=SKIP_CPU_SYNC|NO_WARN\n"
	"          insmod-170     [001] .....     4.174667: dma_alloc: 0000:00:02.0 dir=BIDIRECTIONAL "
	"dma_addr=800000003d6c000 size=6790 virt_addr=000000003ae7b1d2 "
	"flags=GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO attrs=NO_WARN\n"
	"              dd-234     [000] .....     8.447315: dma_map_sg: 0000:00:01.0 dir=TO_DEVICE "
	"nents=2/2 ents=1/1 dma_addrs={0x80000002fb52000} sizes={0x2000} "
	"phys_addrs={0x2fb52000,0x2fb53000} attrs=NO_WARN\n"
	"          <idle>-0       [000] d.h..     8.450601: dma_unmap_sg: 0000:00:01.0 dir=TO_DEVICE "
	"phys_addrs={0x2fb52000,0x2fb53000} attrs=\n"
	"            init-1       [000] .....     6.959043: tracing_mark_write: iommusim phase=boot-done\n"
	"     kworker/u4:1-31      [001] .....     9.000001: sched_switch: prev_comm=a prev_pid=1\n";

Test(ftrace, cat_trace_layout)
{
	struct opened o = open_text(cat_trace, NULL);
	struct ism_event ev;

	cr_expect_str_eq(o.r->ops->name, "ftrace");

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_HCALL_ENTRY);
	cr_expect_eq(ev.opcode, 88);
	cr_expect_eq(ev.ts_ns, 0);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_HCALL_EXIT);
	cr_expect_eq(ev.retval, 0);
	cr_expect_eq(ev.ts_ns, 3000);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_MAP);
	cr_expect_str_eq(reader_dev_name(o.r, ev.dev), "0000:00:00.0");
	cr_expect_eq(ev.dir, ISM_DIR_TO_DEVICE);
	cr_expect_eq(ev.addr, 0x80000001eeac0f8ull);
	cr_expect_eq(ev.paddr, 0x1eeac0f8ull);
	cr_expect_eq(ev.size, 16);
	cr_expect_eq(ev.attrs, 0);
	cr_expect_eq(ev.ts_ns, 4490727000ull);
	cr_expect_eq(ev.cpu, 0);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_UNMAP);
	cr_expect_eq(ev.cpu, 1);
	cr_expect_eq(ev.attrs, ISM_ATTR_SKIP_CPU_SYNC | ISM_ATTR_NO_WARN);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_ALLOC);
	cr_expect_eq(ev.dir, ISM_DIR_BIDIRECTIONAL);
	cr_expect_eq(ev.size, 6790);
	cr_expect_eq(ev.attrs, ISM_ATTR_NO_WARN);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_MAP_SG);
	cr_expect_eq(ev.nents, 2);
	cr_expect_eq(ev.ents, 1);
	cr_expect_eq(ev.nsg, 2);
	cr_expect_eq(ev.size, 0x2000);
	cr_expect_eq(ev.sg[0].flags, ISM_SGE_PHYS | ISM_SGE_DMA);
	cr_expect_eq(ev.sg[0].dma, 0x80000002fb52000ull);
	cr_expect_eq(ev.sg[0].len, 0x2000);
	cr_expect_eq(ev.sg[1].flags, ISM_SGE_PHYS);
	cr_expect_eq(ev.sg[1].phys, 0x2fb53000ull);
	cr_expect_eq(ev.flags & ISM_EF_TRUNCATED, 0);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_UNMAP_SG);
	cr_expect_eq(ev.nsg, 2);
	cr_expect_eq(ev.sg[1].phys, 0x2fb53000ull);

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_MARKER);
	cr_expect_str_eq(ev.text, "iommusim phase=boot-done");

	/* sched_switch is skipped and counted */
	cr_expect_eq(reader_next(o.r, &ev), 0);
	cr_expect_eq(o.r->unknown.n, 1);
	cr_expect_str_eq(o.r->unknown.names[1], "sched_switch");
	cr_expect_eq(o.r->unknown_count[1], 1);
	close_text(&o);
}

/* `cat trace` without irq-info, and `trace-cmd report` (-t: ns; print events; aligned names) */
Test(ftrace, other_layouts)
{
	static const char text[] =
		"version = 6\n"
		"cpus=2\n"
		"CPU 1 is empty\n"
		"          <idle>-0     [000]   123.456789: hcall_entry: opcode=312\n"
		"            bash-42    [001] 123.456789123: hcall_exit:           opcode=312 retval=-4\n"
		"            bash-42    [001] d..2. 124.000000001: print:                "
		"tracing_mark_write: iommusim phase=net\n"
		"   kworker/0:1 H-7     [000]   125.5: swiotlb_bounced: dev_name: 0000:00:01.0 "
		"dma_mask=ffffffffffffffff dev_addr=2fb52000 size=4096 FORCE\n";
	struct opened o = open_text(text, NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.ts_ns, 123456789000ull);
	cr_expect_eq(ev.opcode, 312);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.ts_ns, 123456789123ull);
	cr_expect_eq(ev.retval, -4);
	cr_expect_eq(ev.cpu, 1);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_MARKER);
	cr_expect_str_eq(ev.text, "iommusim phase=net");
	cr_expect_eq(ev.ts_ns, 124000000001ull);
	cr_assert_eq(reader_next(o.r, &ev), 1, "%s", reader_error(o.r));
	cr_expect_eq(ev.kind, ISM_EV_BOUNCE);
	cr_expect_eq(ev.ts_ns, 125500000000ull);
	cr_expect_eq(ev.addr, 0x2fb52000ull);
	cr_expect_eq(ev.size, 4096);
	cr_expect_eq(ev.dma_mask, UINT64_MAX);
	cr_expect(ev.flags & ISM_EF_FORCE);
	cr_expect_str_eq(reader_dev_name(o.r, ev.dev), "0000:00:01.0");
	cr_expect_eq(reader_next(o.r, &ev), 0);
	close_text(&o);
}

/* Old kernels print hcall_exit retval unsigned; H_PARAMETER is -4. */
Test(ftrace, unsigned_retval)
{
	struct opened o = open_text("  a-1 [000] .... 1.000000: hcall_exit: opcode=32 "
				    "retval=18446744073709551612\n", "ftrace");
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.retval, -4);
	close_text(&o);
}

Test(ftrace, lost_events_take_the_next_timestamp)
{
	static const char text[] =
		"  a-1 [001] .... 1.000000: hcall_entry: opcode=32\n"
		"CPU:1 [LOST 37 EVENTS]\n"
		"  a-1 [001] .... 2.000000: hcall_exit: opcode=32 retval=0\n"
		"CPU:0 [EVENTS DROPPED]\n"
		"  a-1 [000] .... 3.000000: sched_switch: x\n"
		"CPU:0 [12 EVENTS DROPPED]\n";
	struct opened o = open_text(text, NULL);
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_LOST);
	cr_expect_eq(ev.count, 37);
	cr_expect_eq(ev.cpu, 1);
	cr_expect_eq(ev.ts_ns, 2000000000ull);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_HCALL_EXIT);
	cr_expect_eq(ev.ts_ns, 2000000000ull);
	/* loss of unknown size before an event that is itself skipped */
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_LOST);
	cr_expect(ev.flags & ISM_EF_LOST_UNKNOWN);
	cr_expect_eq(ev.ts_ns, 3000000000ull);
	/* loss reported after the last event */
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_LOST);
	cr_expect_eq(ev.count, 12);
	cr_expect_eq(reader_next(o.r, &ev), 0);
	close_text(&o);
}

/*
 * `cat trace` after the ring buffer overwrote events: the header counts more entries written
 * than are in the buffer (kernel/trace/trace.c print_event_info(): "# entries-in-buffer/
 * entries-written: %lu/%lu   #P:%d"), and a CPU whose oldest events were overwritten starts
 * with "##### CPU %u buffer started ####" (test_cpu_buff_start()).
 */
Test(ftrace, overwritten_ring_buffer_is_a_loss)
{
	static const char text[] =
		"# tracer: nop\n"
		"#\n"
		"# entries-in-buffer/entries-written: 3/1003   #P:2\n"
		"#\n"
		"##### CPU 1 buffer started ####\n"
		"              dd-222     [001] d....    18.631812: hcall_entry: opcode=32\n"
		"          <idle>-0       [000] d.h..    18.636901: hcall_entry: opcode=312\n"
		"##### CPU 0 buffer started ####\n"
		"            init-1       [000] .....    18.700000: tracing_mark_write: iommusim phase=x\n";
	struct opened o = open_text(text, NULL);
	struct ism_event ev;

	/* both losses come before the first event, at its timestamp */
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_LOST);
	cr_expect_eq(ev.count, 1000);
	cr_expect(ev.flags & ISM_EF_LOST_ANYCPU);
	cr_expect_eq(ev.ts_ns, 18631812000ull);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_LOST);
	cr_expect_eq(ev.cpu, 1);
	cr_expect(ev.flags & ISM_EF_LOST_UNKNOWN);
	cr_expect_eq(ev.ts_ns, 18631812000ull);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_HCALL_ENTRY);
	cr_expect_eq(ev.pid, 222);
	cr_expect_eq(ev.flags & (ISM_EF_CTX | ISM_EF_HARDIRQ | ISM_EF_SOFTIRQ), ISM_EF_CTX);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.pid, 0);
	cr_expect(ism_in_irq(ev.flags));
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_LOST);
	cr_expect_eq(ev.cpu, 0);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_MARKER);
	cr_expect_eq(ev.pid, 1);
	cr_expect_eq(reader_next(o.r, &ev), 0);
	close_text(&o);
}

/* The task and the context come from "COMM-PID" and the irq-info column, when present. */
Test(ftrace, task_and_context)
{
	static const char text[] =
		"     kworker/u4:1-31      [001] ..s1.     9.000001: hcall_entry: opcode=32\n"
		"  a-b-77 [000] 1.000002: hcall_entry: opcode=32\n"
		"  <idle>-0 [000] dNH2. 1.000003: hcall_entry: opcode=32\n";
	struct opened o = open_text(text, "ftrace");
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.pid, 31);
	cr_expect_eq(ev.flags, ISM_EF_CTX | ISM_EF_SOFTIRQ);
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.pid, 77);
	cr_expect_eq(ev.flags, 0, "no irq-info column: the context is unknown");
	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.flags, ISM_EF_CTX | ISM_EF_HARDIRQ);
	close_text(&o);
}

Test(ftrace, failed_to_parse_is_counted_not_fatal)
{
	struct opened o = open_text("  dd-1 [000] 1.000000: dma_map_sg: [FAILED TO PARSE] device=x\n"
				    "  dd-1 [000] 1.000001: hcall_entry: opcode=32\n", "ftrace");
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1);
	cr_expect_eq(ev.kind, ISM_EV_HCALL_ENTRY);
	cr_expect_str_eq(o.r->unknown.names[1], "dma_map_sg (FAILED TO PARSE)");
	close_text(&o);
}

/* The dma_map_sg cap (2026 stable): nents=STORED/FULL ents=STORED/FULL [TRUNCATED] */
Test(ftrace, truncated_sg)
{
	struct opened o = open_text(
		"  dd-1 [000] 1.0: dma_map_sg: dev0 dir=FROM_DEVICE nents=2/300 ents=1/250 [TRUNCATED] "
		"dma_addrs={0x10000} sizes={0x1000} phys_addrs={0x1000,0x2000} attrs=\n", "ftrace");
	struct ism_event ev;

	cr_assert_eq(reader_next(o.r, &ev), 1, "%s", reader_error(o.r));
	cr_expect_eq(ev.nents, 300);
	cr_expect_eq(ev.ents, 250);
	cr_expect_eq(ev.nsg, 2);
	cr_expect(ev.flags & ISM_EF_TRUNCATED);
	cr_expect_eq(ev.dir, ISM_DIR_FROM_DEVICE);
	close_text(&o);
}

static void expect_error(const char *text, const char *needle)
{
	struct opened o = open_text(text, "ftrace");
	struct ism_event ev;
	int ret;

	while ((ret = reader_next(o.r, &ev)) > 0)
		;
	cr_expect_eq(ret, -ISM_ECORRUPT, "no error for: %s", text);
	cr_expect_not_null(strstr(reader_error(o.r), needle), "'%s' not in '%s'", needle,
			   reader_error(o.r));
	cr_expect_not_null(strstr(reader_error(o.r), o.path));
	close_text(&o);
}

Test(ftrace, malformed_lines_name_line_and_field)
{
	expect_error("  a-1 [000] 1.0: hcall_entry: opcode=32\n  a-1 [000] 1.1: dma_map_page: "
		     "d dir=TO_DEVICE dma_addr=zz size=1 phys_addr=0 attrs=\n", "line 2: malformed map");
	expect_error("  a-1 [000] 1.0: dma_map_page: d dir=SIDEWAYS dma_addr=1 size=1 "
		     "phys_addr=0 attrs=\n", "'dir'");
	expect_error("  a-1 [000] 1.0: dma_unmap_page: d dir=TO_DEVICE dma_addr=1 size=1 "
		     "attrs=BOGUS\n", "'attrs'");
	expect_error("  a-1 [000] 1.0: dma_map_sg: d dir=TO_DEVICE dma_addrs={0x1} sizes={} "
		     "phys_addrs={0x1} attrs=\n", "'sizes'");
	expect_error("  a-1 [000] 1.0: hcall_entry: opcode=32\nrandom junk here\n",
		     "line 2: not an ftrace event line");
	expect_error("  a-1 [000] 1.0: hcall_exit: opcode=32 retval=x\n", "'retval'");
}

Test(ftrace, probe_rejects_binary_and_prose)
{
	const struct reader_ops *ft = reader_find("ftrace");
	static const unsigned char bin[] = { 0x17, 0x08, 0x44, 't', 'r', 0, 1, 2 };
	static const char prose[] = "Dear list,\nthe numbers [1] below: are wrong.\n";

	cr_assert_not_null(ft);
	cr_expect_eq(ft->probe(bin, sizeof(bin)), 0);
	cr_expect_eq(ft->probe((const unsigned char *)prose, sizeof(prose) - 1), 0);
	cr_expect_gt(ft->probe((const unsigned char *)cat_trace, sizeof(cat_trace) - 1), 0);
}
