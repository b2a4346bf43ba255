/*
 * hcfit.c: hypercall costs fitted from a trace (see hcfit.h).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hcfit.h"
#include "strategy.h"

static const uint32_t opcodes[HCFIT_OPS] = { H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE };
static const char *const names[HCFIT_OPS] = { "H_PUT_TCE", "H_PUT_TCE_INDIRECT", "H_STUFF_TCE" };

void hcfit_add(struct hcfit *f, int k, uint64_t calls, uint64_t entries, double ns)
{
	struct hcfit_acc *a = &f->op[k];
	double c = (double)calls, e = (double)entries;

	a->samples++;
	a->calls += c;
	a->entries += e;
	a->ns += ns;
	a->cc += c * c;
	a->ce += c * e;
	a->ee += e * e;
	a->cd += c * ns;
	a->ed += e * ns;
	a->dd += ns * ns;
}

void hcfit_single(struct hcfit *f, int k, double ns)
{
	lat_add(&f->op[k].single, ns);
}

void hcfit_merge(struct hcfit *into, const struct hcfit *from)
{
	for (int k = 0; k < HCFIT_OPS; k++) {
		struct hcfit_acc *a = &into->op[k];
		const struct hcfit_acc *b = &from->op[k];

		a->samples += b->samples;
		a->calls += b->calls;
		a->entries += b->entries;
		a->ns += b->ns;
		a->cc += b->cc;
		a->ce += b->ce;
		a->ee += b->ee;
		a->cd += b->cd;
		a->ed += b->ed;
		a->dd += b->dd;
		a->single.count += b->single.count;
		a->single.sum_ns += b->single.sum_ns;
		if (b->single.max_ns > a->single.max_ns)
			a->single.max_ns = b->single.max_ns;
		for (unsigned i = 0; i < sizeof(a->single.b) / sizeof(a->single.b[0]); i++)
			a->single.b[i] += b->single.b[i];
	}
}

void hcfit_solve(const struct hcfit *f, int k, struct hcfit_result *out)
{
	const struct hcfit_acc *a = &f->op[k];
	double det = a->cc * a->ee - a->ce * a->ce, fx = 0, pe = 0, sse;

	memset(out, 0, sizeof(*out));
	out->opcode = opcodes[k];
	out->name = names[k];
	out->samples = a->samples;
	out->calls = (uint64_t)a->calls;
	out->median_ns = lat_percentile(&a->single, 50);
	out->p10_ns = lat_percentile(&a->single, 10);
	out->p90_ns = lat_percentile(&a->single, 90);
	if (a->samples < HCFIT_MIN_SAMPLES || a->calls <= 0)
		return;
	/* entries per call vary enough to separate the two parts (relative determinant) */
	if (det > 1e-6 * a->cc * a->ee) {
		fx = (a->cd * a->ee - a->ed * a->ce) / det;
		pe = (a->ed * a->cc - a->cd * a->ce) / det;
		out->per_entry_determined = 1;
	}
	if (!out->per_entry_determined || fx < 0 || pe < 0) {
		/* one entry per call, or a negative part: the mean time per call */
		fx = a->ns / a->calls;
		pe = 0;
		out->per_entry_determined = 0;
	}
	out->fitted = 1;
	out->fixed_ns = fx;
	out->per_entry_ns = pe;
	sse = a->dd - 2 * fx * a->cd - 2 * pe * a->ed + fx * fx * a->cc + 2 * fx * pe * a->ce +
	      pe * pe * a->ee;
	if (sse < 0)
		sse = 0;
	out->residual_pct = a->ns > 0 ? sqrt(sse / (double)a->samples) /
					(a->ns / (double)a->samples) * 100 : 0;
}
