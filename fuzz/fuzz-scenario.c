/*
 * fuzz-scenario.c: libFuzzer harness for the scenario loader. The input is a scenario JSON
 * file; when it loads, every strategy is built on it and replays a few maps, an SG map and
 * hcalls, so a value that sizes a window, a pool or a table is exercised too.
 */
#include "config.h"

#include "fuzz.h"
#include "reader.h"
#include "scenario.h"
#include "sim.h"

static const char trace[] =
	"# tracer: nop\n"
	"  dd-229 [000] .....    19.997290: hcall_entry: opcode=88\n"
	"  dd-229 [000] .....    19.997291: hcall_exit: opcode=88 retval=0\n"
	"  dd-229 [000] .....    19.997292: dma_map_page: 0000:00:00.0 dir=TO_DEVICE "
	"dma_addr=c090000 size=4096 phys_addr=1e7d3000 attrs=\n"
	"  dd-229 [001] .....    19.997293: dma_map_page: 0000:00:00.0 dir=FROM_DEVICE "
	"dma_addr=c0a0000 size=65536 phys_addr=1e7e0000 attrs=\n"
	"  dd-229 [000] .....    19.997294: dma_map_sg: 0000:00:01.0 dir=TO_DEVICE nents=2/2 "
	"ents=2/2 dma_addrs={0x5900000,0x5901000} sizes={0x1000,0x800} "
	"phys_addrs={0x2cb6000,0x2cb8000} attrs=\n"
	"  dd-229 [000] .....    19.997295: dma_unmap_page: 0000:00:00.0 dir=TO_DEVICE "
	"dma_addr=c090000 size=4096 attrs=\n"
	"  dd-229 [001] .....    19.997296: dma_unmap_page: 0000:00:00.0 dir=FROM_DEVICE "
	"dma_addr=c0a0000 size=65536 attrs=\n";

static char *const specs[] = {
	"passthrough", "direct-tce", "indirect-tce", "indirect-tce:bounce-page", "window32",
	"ddw", "swiotlb+ddw", "swiotlb+direct-tce", "iommu-dma", "iommu-dma:lazy", "svm",
};

static void replay(const struct scenario *sc)
{
	char *cause = NULL, path[64];
	struct sim *sim = sim_new(sc, specs, sizeof(specs) / sizeof(specs[0]), &cause);
	int fd = fuzz_file((const uint8_t *)trace, sizeof(trace) - 1, path, sizeof(path));
	struct reader *r;
	struct ism_event ev;
	const char *unit;

	if (sim && reader_open(path, "ftrace", &r, &cause) == 0) {
		while (reader_next(r, &ev) > 0)
			sim_event(sim, &ev, reader_position(r, &unit));
		reader_close(r);
		sim_finish(sim);
	}
	if (sim)
		sim_free(sim);
	free(cause);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], *cause = NULL;
	int fd = fuzz_file(data, size, path, sizeof(path));
	struct scenario sc;

	if (scenario_load(path, &sc, &cause) == 0)
		replay(&sc);
	scenario_free(&sc);
	free(cause);
	close(fd);
	return 0;
}
