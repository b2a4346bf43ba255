/*
 * tce-check.c: the pSeries TCE hypercall check (run --check-hcalls), the check the TCE
 * strategies offer (strategy_ops.check, check.h). Per DMA event it compares the calls of the
 * operations the catalogue marks OPF_CHECK (ops.h: H_PUT_TCE, H_PUT_TCE_INDIRECT and
 * H_STUFF_TCE, slots in table order) that the run predicts with the hcall events recorded on
 * the event's CPU since its previous DMA event, less what a traced-first previous event owed.
 * Hypercalls no event explains are counted as recorded outside DMA events.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sim.h"
#include "tcewin.h"

#define SLOTS ISM_OP_CHECK_SLOTS

/* What the recording shows on a CPU since its previous DMA event (shared by the runs). */
struct tck_rec {
	uint64_t seen[SLOTS];
};

/* A run's hypercalls a traced-first event (unmap_sg, free) predicts: they follow its event. */
struct tck_cpu {
	uint64_t pred[SLOTS];
	uint64_t pos;
	char what[64];
	int active;
	int inferred;             /* the list's input lengths were inferred */
	uint64_t carry[SLOTS];    /* seen before a traced-first event that interrupted a call */
};

static void tck_recorded(void *rec, uint32_t op)
{
	int k = ism_op_check_slot(op);

	if (k >= 0)
		((struct tck_rec *)rec)->seen[k]++;
}

static void tck_setup(struct check_run *cr, const struct op_stat *ops, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		int t = ism_op_check_slot(ops[k].op);

		if (t >= 0)
			cr->f->setup_pred[t] = ops[k].calls;
	}
}

static void tck_example(struct check_run *cr, uint64_t pos, const char *what,
			const uint64_t *pred, const uint64_t *seen, int inferred)
{
	struct fidelity *f = cr->f;
	char text[sizeof(f->ex_what[0])];

	f->events_mismatched++;
	if (inferred)
		f->mismatched_inferred++;
	if (f->nex >= 5 && !cr->mismatch)
		return;
	snprintf(text, sizeof(text),
		 "%s: predicted %llu/%llu/%llu, recorded %llu/%llu/%llu (PUT/INDIRECT/STUFF)", what,
		 (unsigned long long)pred[0], (unsigned long long)pred[1],
		 (unsigned long long)pred[2], (unsigned long long)seen[0],
		 (unsigned long long)seen[1], (unsigned long long)seen[2]);
	if (cr->mismatch)
		cr->mismatch(cr->arg, pos, text);
	if (f->nex >= 5)
		return;
	memcpy(f->ex_what[f->nex], text, sizeof(text));
	f->ex_pos[f->nex++] = pos;
}

/* Match @pred against @seen (consumed); returns 1 when something predicted was not seen. */
static int tck_match(struct fidelity *f, const uint64_t *pred, uint64_t *seen)
{
	int bad = 0;

	f->events_checked++;
	for (int k = 0; k < SLOTS; k++) {
		uint64_t m = pred[k] < seen[k] ? pred[k] : seen[k];

		f->matched[k] += m;
		f->missing[k] += pred[k] - m;
		seen[k] -= m;
		if (pred[k] > m)
			bad = 1;
	}
	return bad;
}

/* A traced-first event's hypercalls come right after it: settle them with what was seen. */
static void tck_settle(struct check_run *cr, struct tck_cpu *o, uint64_t *seen)
{
	uint64_t before[SLOTS];

	if (!o->active)
		return;
	memcpy(before, seen, sizeof(before));
	o->active = 0;
	if (tck_match(cr->f, o->pred, seen))
		tck_example(cr, o->pos, o->what, o->pred, before, o->inferred);
}

static void tck_event(struct check_run *cr, void *cpu, const void *rec, const struct ism_event *ev,
		      uint64_t pos, int inferred, const struct actbuf *ab)
{
	struct tck_cpu *o = cpu;
	struct fidelity *f = cr->f;
	uint64_t pred[SLOTS] = { 0 }, seen[SLOTS], before[SLOTS];
	char what[64];

	memcpy(seen, ((const struct tck_rec *)rec)->seen, sizeof(seen));
	for (unsigned i = 0; i < ab->n; i++) {
		int k = act_is_call(ab->a[i].kind) ? ism_op_check_slot(ab->a[i].op) : -1;

		if (k >= 0)
			pred[k] += ab->a[i].calls;
	}
	tck_settle(cr, o, seen);
	snprintf(what, sizeof(what), "%s size %llu", ism_kind_name(ev->kind),
		 (unsigned long long)ev->size);
	if (ism_kind_traced_first(ev->kind)) {
		/*
		 * Hypercalls seen before a traced-first event can belong to a call it interrupted
		 * (an unmap_sg in hard-irq context inside a map): they go to the next event.
		 */
		for (int k = 0; k < SLOTS; k++)
			o->carry[k] += seen[k];
		memcpy(o->pred, pred, sizeof(pred));
		o->pos = pos;
		snprintf(o->what, sizeof(o->what), "%s", what);
		o->active = 1;
		o->inferred = inferred;
		return;
	}
	for (int k = 0; k < SLOTS; k++) {
		seen[k] += o->carry[k];
		o->carry[k] = 0;
	}
	memcpy(before, seen, sizeof(before));
	if (tck_match(f, pred, seen))
		tck_example(cr, pos, what, pred, before, inferred);
	for (int k = 0; k < SLOTS; k++)
		f->extra[k] += seen[k];
}

/* TCE hcalls seen after the CPU's last DMA event */
static void tck_finish(struct check_run *cr, void *cpu, const void *rec)
{
	struct tck_cpu *o = cpu;
	uint64_t seen[SLOTS];

	memcpy(seen, ((const struct tck_rec *)rec)->seen, sizeof(seen));
	tck_settle(cr, o, seen);
	for (int k = 0; k < SLOTS; k++)
		cr->f->extra[k] += seen[k] + o->carry[k];
}

const struct strat_check tce_hcall_check = {
	.name = "TCE hcalls",
	.rec_size = sizeof(struct tck_rec),
	.cpu_size = sizeof(struct tck_cpu),
	.recorded = tck_recorded,
	.setup = tck_setup,
	.event = tck_event,
	.finish = tck_finish,
};
