/*
 * alloc-iova.c: the Linux 6.12 IOVA allocator and dma-iommu's use of it (alloc-iova.h).
 *
 * The red-black tree follows lib/rbtree.c's algorithm (insertion cases 1-3, erasure by
 * relinking the successor, erase fix-up cases 1-4), so that the tree has the kernel's shape
 * and the walks visit the kernel's nodes. Nodes are relinked, never copied: cached32_node and
 * cached_node point at nodes, as in the kernel.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alloc-iova.h"
#include "error.h"
#include "ktimer.h"
#include "util.h"

/* ---- red-black tree (lib/rbtree.c's rules) ------------------------------------------ */

static void rb_change_child(struct iova_domain *d, struct iova_node *old, struct iova_node *new,
			    struct iova_node *parent)
{
	if (!parent)
		d->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* __rb_rotate_set_parents(): @new takes @old's parent and colour; @old goes under @new. */
static void rb_rotate_set_parents(struct iova_domain *d, struct iova_node *old,
				  struct iova_node *new, bool old_red)
{
	struct iova_node *parent = old->parent;

	new->parent = parent;
	new->red = old->red;
	old->parent = new;
	old->red = old_red;
	rb_change_child(d, old, new, parent);
}

static bool rb_red(const struct iova_node *n)
{
	return n && n->red;
}

/* rb_insert_color(): @node is linked in as a red leaf. */
static void rb_insert_color(struct iova_domain *d, struct iova_node *node)
{
	struct iova_node *parent = node->parent, *gparent, *tmp;

	node->red = true;
	for (;;) {
		if (!parent) {
			node->red = false;
			break;
		}
		if (!parent->red)
			break;
		gparent = parent->parent;
		tmp = gparent->right;
		if (parent != tmp) {	/* parent is gparent's left child */
			if (rb_red(tmp)) {
				/* case 1: red uncle, colour flips */
				tmp->red = false;
				parent->red = false;
				node = gparent;
				parent = node->parent;
				node->red = true;
				continue;
			}
			tmp = parent->right;
			if (node == tmp) {
				/* case 2: left rotate at parent */
				tmp = node->left;
				parent->right = tmp;
				node->left = parent;
				if (tmp) {
					tmp->parent = parent;
					tmp->red = false;
				}
				parent->parent = node;
				parent->red = true;
				parent = node;
				tmp = node->right;
			}
			/* case 3: right rotate at gparent */
			gparent->left = tmp;
			parent->right = gparent;
			if (tmp) {
				tmp->parent = gparent;
				tmp->red = false;
			}
			rb_rotate_set_parents(d, gparent, parent, true);
			break;
		}
		tmp = gparent->left;
		if (rb_red(tmp)) {
			tmp->red = false;
			parent->red = false;
			node = gparent;
			parent = node->parent;
			node->red = true;
			continue;
		}
		tmp = parent->left;
		if (node == tmp) {
			tmp = node->right;
			parent->left = tmp;
			node->right = parent;
			if (tmp) {
				tmp->parent = parent;
				tmp->red = false;
			}
			parent->parent = node;
			parent->red = true;
			parent = node;
			tmp = node->left;
		}
		gparent->right = tmp;
		parent->left = gparent;
		if (tmp) {
			tmp->parent = gparent;
			tmp->red = false;
		}
		rb_rotate_set_parents(d, gparent, parent, true);
		break;
	}
}

/* ____rb_erase_color(): rebalance after a black leaf left from under @parent. */
static void rb_erase_color(struct iova_domain *d, struct iova_node *parent)
{
	struct iova_node *node = NULL, *sibling, *tmp1, *tmp2;

	for (;;) {
		sibling = parent->right;
		if (node != sibling) {	/* node is the left child */
			if (sibling->red) {
				/* case 1: left rotate at parent */
				tmp1 = sibling->left;
				parent->right = tmp1;
				sibling->left = parent;
				tmp1->parent = parent;
				tmp1->red = false;
				rb_rotate_set_parents(d, parent, sibling, true);
				sibling = tmp1;
			}
			tmp1 = sibling->right;
			if (!rb_red(tmp1)) {
				tmp2 = sibling->left;
				if (!rb_red(tmp2)) {
					/* case 2: sibling colour flip */
					sibling->red = true;
					if (parent->red) {
						parent->red = false;
					} else {
						node = parent;
						parent = node->parent;
						if (parent)
							continue;
					}
					break;
				}
				/* case 3: right rotate at sibling */
				tmp1 = tmp2->right;
				sibling->left = tmp1;
				tmp2->right = sibling;
				parent->right = tmp2;
				if (tmp1) {
					tmp1->parent = sibling;
					tmp1->red = false;
				}
				tmp1 = sibling;
				sibling = tmp2;
			}
			/* case 4: left rotate at parent, colour flips */
			tmp2 = sibling->left;
			parent->right = tmp2;
			sibling->left = parent;
			tmp1->parent = sibling;
			tmp1->red = false;
			if (tmp2)
				tmp2->parent = parent;
			rb_rotate_set_parents(d, parent, sibling, false);
			break;
		}
		sibling = parent->left;
		if (sibling->red) {
			tmp1 = sibling->right;
			parent->left = tmp1;
			sibling->right = parent;
			tmp1->parent = parent;
			tmp1->red = false;
			rb_rotate_set_parents(d, parent, sibling, true);
			sibling = tmp1;
		}
		tmp1 = sibling->left;
		if (!rb_red(tmp1)) {
			tmp2 = sibling->right;
			if (!rb_red(tmp2)) {
				sibling->red = true;
				if (parent->red) {
					parent->red = false;
				} else {
					node = parent;
					parent = node->parent;
					if (parent)
						continue;
				}
				break;
			}
			tmp1 = tmp2->left;
			sibling->right = tmp1;
			tmp2->left = sibling;
			parent->left = tmp2;
			if (tmp1) {
				tmp1->parent = sibling;
				tmp1->red = false;
			}
			tmp1 = sibling;
			sibling = tmp2;
		}
		tmp2 = sibling->right;
		parent->left = tmp2;
		sibling->right = parent;
		tmp1->parent = sibling;
		tmp1->red = false;
		if (tmp2)
			tmp2->parent = parent;
		rb_rotate_set_parents(d, parent, sibling, false);
		break;
	}
}

/* rb_erase(): __rb_erase_augmented() then the fix-up. */
static void rb_erase(struct iova_domain *d, struct iova_node *node)
{
	struct iova_node *child = node->right, *tmp = node->left;
	struct iova_node *parent, *rebalance;

	if (!tmp) {
		parent = node->parent;
		rb_change_child(d, node, child, parent);
		if (child) {
			child->parent = parent;
			child->red = node->red;
			rebalance = NULL;
		} else {
			rebalance = node->red ? NULL : parent;
		}
	} else if (!child) {
		tmp->parent = node->parent;
		tmp->red = node->red;
		rb_change_child(d, node, tmp, node->parent);
		rebalance = NULL;
	} else {
		struct iova_node *successor = child, *child2, *pc;
		bool succ_red;

		tmp = child->left;
		if (!tmp) {
			/* the successor is node's right child */
			parent = successor;
			child2 = successor->right;
		} else {
			/* the successor is the leftmost node under node's right child */
			do {
				parent = successor;
				successor = tmp;
				tmp = tmp->left;
			} while (tmp);
			child2 = successor->right;
			parent->left = child2;
			successor->right = child;
			child->parent = successor;
		}
		tmp = node->left;
		successor->left = tmp;
		tmp->parent = successor;
		pc = node->parent;
		rb_change_child(d, node, successor, pc);
		succ_red = successor->red;
		if (child2) {
			child2->parent = parent;
			child2->red = false;
			rebalance = NULL;
		} else {
			rebalance = succ_red ? NULL : parent;
		}
		successor->parent = pc;
		successor->red = node->red;
	}
	if (rebalance)
		rb_erase_color(d, rebalance);
}

static struct iova_node *rb_prev(struct iova_node *n)
{
	struct iova_node *p;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return n;
	}
	while ((p = n->parent) && n == p->left)
		n = p;
	return p;
}

static struct iova_node *rb_next(struct iova_node *n)
{
	struct iova_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return n;
	}
	while ((p = n->parent) && n == p->right)
		n = p;
	return p;
}

static struct iova_node *rb_first(struct iova_node *n)
{
	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

/* ---- nodes and magazines -------------------------------------------------------------- */

static struct iova_node *node_new(struct iova_domain *d, uint64_t lo, uint64_t hi)
{
	struct iova_node *n = d->spare;

	if (n)
		d->spare = n->parent;
	else
		n = xmalloc(sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->pfn_lo = lo;
	n->pfn_hi = hi;
	d->nodes++;
	return n;
}

/* free_iova_mem(): the anchor is never freed. */
static void node_free(struct iova_domain *d, struct iova_node *n)
{
	if (n == &d->anchor)
		return;
	n->parent = d->spare;
	d->spare = n;
	d->nodes--;
}

static struct iova_magazine *mag_new(struct iova_domain *d)
{
	struct iova_magazine *m = d->spare_mags;

	if (m)
		d->spare_mags = m->next;
	else
		m = xmalloc(sizeof(*m));
	m->size = 0;
	m->next = NULL;
	return m;
}

static void mag_free(struct iova_domain *d, struct iova_magazine *m)
{
	m->next = d->spare_mags;
	d->spare_mags = m;
}

/* ---- the tree allocator --------------------------------------------------------------- */

int iova_domain_init(struct iova_domain *d, const struct iova_domain_config *cfg)
{
	unsigned shift = cfg && cfg->granule_shift ? cfg->granule_shift : 12;
	uint64_t start = cfg && cfg->start_pfn ? cfg->start_pfn : 1;
	unsigned i, c;

	memset(d, 0, sizeof(*d));
	if (shift < 9 || shift > 30 || start >= IOVA_ANCHOR_PFN)
		return -ISM_ERANGE;
	d->granule_shift = shift;
	d->start_pfn = start;
	d->dma_32bit_pfn = 1ull << (32 - shift);
	d->max32_alloc_size = d->dma_32bit_pfn;
	d->ncpus = cfg && cfg->ncpus ? cfg->ncpus : 1;
	d->hz = cfg && cfg->hz ? cfg->hz : 250;
	d->anchor.pfn_lo = d->anchor.pfn_hi = IOVA_ANCHOR_PFN;
	d->anchor.red = false;
	d->root = &d->anchor;
	d->cached_node = d->cached32_node = &d->anchor;
	if (cfg && cfg->no_rcaches)
		return 0;
	d->rcaches = xcalloc(IOVA_RANGE_CACHE_MAX_SIZE, sizeof(*d->rcaches));
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		d->rcaches[i].cpu = xcalloc(d->ncpus, sizeof(*d->rcaches[i].cpu));
		for (c = 0; c < d->ncpus; c++) {
			d->rcaches[i].cpu[c].loaded = mag_new(d);
			d->rcaches[i].cpu[c].prev = mag_new(d);
		}
	}
	return 0;
}

static void free_subtree(struct iova_domain *d, struct iova_node *n)
{
	while (n) {
		struct iova_node *r = n->right;

		free_subtree(d, n->left);
		if (n != &d->anchor)
			free(n);
		n = r;
	}
}

void iova_domain_free(struct iova_domain *d)
{
	struct iova_magazine *m;
	struct iova_node *n;
	unsigned i, c;

	if (d->rcaches) {
		for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
			struct iova_rcache *rc = &d->rcaches[i];

			for (c = 0; c < d->ncpus; c++) {
				free(rc->cpu[c].loaded);
				free(rc->cpu[c].prev);
			}
			free(rc->cpu);
			while ((m = rc->depot)) {
				rc->depot = m->next;
				free(m);
			}
		}
		free(d->rcaches);
	}
	while ((m = d->spare_mags)) {
		d->spare_mags = m->next;
		free(m);
	}
	free_subtree(d, d->root);
	while ((n = d->spare)) {
		d->spare = n->parent;
		free(n);
	}
	memset(d, 0, sizeof(*d));
}

static struct iova_node *get_cached_rbnode(struct iova_domain *d, uint64_t limit_pfn)
{
	return limit_pfn <= d->dma_32bit_pfn ? d->cached32_node : d->cached_node;
}

static void cached_rbnode_insert_update(struct iova_domain *d, struct iova_node *new)
{
	if (new->pfn_hi < d->dma_32bit_pfn)
		d->cached32_node = new;
	else
		d->cached_node = new;
}

static void cached_rbnode_delete_update(struct iova_domain *d, struct iova_node *free)
{
	struct iova_node *cached = d->cached32_node;

	if (free == cached ||
	    (free->pfn_hi < d->dma_32bit_pfn && free->pfn_lo >= cached->pfn_lo))
		d->cached32_node = rb_next(free);
	if (free->pfn_lo < d->dma_32bit_pfn)
		d->max32_alloc_size = d->dma_32bit_pfn;
	cached = d->cached_node;
	if (free->pfn_lo >= cached->pfn_lo)
		d->cached_node = rb_next(free);
}

/* iova_find_limit(): where a retry below a 32-bit limit starts walking. */
static struct iova_node *iova_find_limit(struct iova_domain *d, uint64_t limit_pfn)
{
	struct iova_node *node, *next;

	if (limit_pfn > d->dma_32bit_pfn)
		return &d->anchor;
	node = d->root;
	d->c.limit_nodes++;
	while (node->pfn_hi < limit_pfn) {
		node = node->right;
		d->c.limit_nodes++;
	}
search_left:
	while (node->left && node->left->pfn_lo >= limit_pfn) {
		node = node->left;
		d->c.limit_nodes++;
	}
	if (!node->left)
		return node;
	next = node->left;
	d->c.limit_nodes++;
	while (next->right) {
		next = next->right;
		d->c.limit_nodes++;
		if (next->pfn_lo >= limit_pfn) {
			node = next;
			goto search_left;
		}
	}
	return node;
}

/* iova_insert_rbtree(): descend from @start (or the root) and link @n in. */
static void iova_insert_rbtree(struct iova_domain *d, struct iova_node *n, struct iova_node *start)
{
	struct iova_node **link, *parent = NULL;

	if (start) {
		/* the kernel descends from &start: the first step compares with start itself */
		parent = start;
		d->c.insert_nodes++;
		if (n->pfn_lo < start->pfn_lo)
			link = &start->left;
		else if (n->pfn_lo > start->pfn_lo)
			link = &start->right;
		else
			return;
	} else {
		link = &d->root;
	}
	while (*link) {
		struct iova_node *this = *link;

		parent = this;
		d->c.insert_nodes++;
		if (n->pfn_lo < this->pfn_lo)
			link = &this->left;
		else if (n->pfn_lo > this->pfn_lo)
			link = &this->right;
		else
			return; /* WARN_ON(1) in the kernel: cannot happen */
	}
	n->parent = parent;
	n->left = n->right = NULL;
	*link = n;
	rb_insert_color(d, n);
}

static unsigned fls64_(uint64_t x)
{
	return x ? 64 - (unsigned)__builtin_clzll(x) : 0;
}

/* __alloc_and_insert_iova_range(); @limit_pfn is exclusive here, as in the kernel. */
static struct iova_node *alloc_and_insert(struct iova_domain *d, uint64_t size,
					  uint64_t limit_pfn, bool size_aligned)
{
	struct iova_node *curr, *prev, *new;
	uint64_t new_pfn, retry_pfn, align_mask = ~0ull;
	uint64_t high_pfn = limit_pfn, low_pfn = d->start_pfn;
	unsigned sh;

	if (size_aligned) {
		sh = fls64_(size - 1);
		align_mask = sh >= 64 ? 0 : align_mask << sh;
	}
	d->c.rbtree_locks++;
	if (limit_pfn <= d->dma_32bit_pfn && size >= d->max32_alloc_size) {
		d->c.tree_fails++;
		d->c.fast_fails++;
		return NULL;
	}
	curr = get_cached_rbnode(d, limit_pfn);
	retry_pfn = curr->pfn_hi;
retry:
	do {
		high_pfn = high_pfn < curr->pfn_lo ? high_pfn : curr->pfn_lo;
		new_pfn = (high_pfn - size) & align_mask;
		prev = curr;
		curr = rb_prev(curr);
		d->c.walk_nodes++;
	} while (curr && new_pfn <= curr->pfn_hi && new_pfn >= low_pfn);

	if (high_pfn < size || new_pfn < low_pfn) {
		if (low_pfn == d->start_pfn && retry_pfn < limit_pfn) {
			high_pfn = limit_pfn;
			low_pfn = retry_pfn + 1;
			curr = iova_find_limit(d, limit_pfn);
			d->c.retries++;
			goto retry;
		}
		d->max32_alloc_size = size;
		d->c.tree_fails++;
		return NULL;
	}
	new = node_new(d, new_pfn, new_pfn + size - 1);
	iova_insert_rbtree(d, new, prev);
	cached_rbnode_insert_update(d, new);
	d->c.tree_allocs++;
	return new;
}

uint64_t iova_alloc(struct iova_domain *d, uint64_t size, uint64_t limit_pfn, bool size_aligned)
{
	struct iova_node *n;

	if (!size || limit_pfn >= IOVA_ANCHOR_PFN)
		return 0;
	n = alloc_and_insert(d, size, limit_pfn + 1, size_aligned);
	return n ? n->pfn_lo : 0;
}

static struct iova_node *private_find_iova(struct iova_domain *d, uint64_t pfn)
{
	struct iova_node *node = d->root;

	while (node) {
		d->c.find_nodes++;
		if (pfn < node->pfn_lo)
			node = node->left;
		else if (pfn > node->pfn_hi)
			node = node->right;
		else
			return node;
	}
	return NULL;
}

/* remove_iova() + free_iova_mem(), under the lock the caller counted. */
static uint64_t remove_iova(struct iova_domain *d, struct iova_node *n)
{
	uint64_t size = n->pfn_hi - n->pfn_lo + 1;

	cached_rbnode_delete_update(d, n);
	rb_erase(d, n);
	node_free(d, n);
	d->c.tree_frees++;
	return size;
}

const struct iova_node *iova_find(struct iova_domain *d, uint64_t pfn)
{
	d->c.rbtree_locks++;
	return private_find_iova(d, pfn);
}

uint64_t iova_free(struct iova_domain *d, uint64_t pfn)
{
	struct iova_node *n;

	d->c.rbtree_locks++;
	n = private_find_iova(d, pfn);
	if (!n || n == &d->anchor)
		return 0;
	return remove_iova(d, n);
}

/* reserve_iova(): in-order scan from the first node, merging what overlaps. */
int iova_reserve(struct iova_domain *d, uint64_t pfn_lo, uint64_t pfn_hi)
{
	struct iova_node *node;
	bool overlap = false;

	if (pfn_lo > pfn_hi || ((pfn_hi | pfn_lo) > (UINT64_MAX >> d->granule_shift)))
		return -ISM_ERANGE;
	d->c.rbtree_locks++;
	for (node = rb_first(d->root); node; node = rb_next(node)) {
		if (pfn_lo <= node->pfn_hi && pfn_hi >= node->pfn_lo) {
			/* __adjust_overlap_range() */
			if (pfn_lo < node->pfn_lo)
				node->pfn_lo = pfn_lo;
			if (pfn_hi > node->pfn_hi)
				pfn_lo = node->pfn_hi + 1;
			if (pfn_lo >= node->pfn_lo && pfn_hi <= node->pfn_hi)
				return 0;
			overlap = true;
		} else if (overlap) {
			break;
		}
	}
	iova_insert_rbtree(d, node_new(d, pfn_lo, pfn_hi), NULL);
	return 0;
}

/* ---- the range caches ----------------------------------------------------------------- */

static unsigned order_base_2_(uint64_t n)
{
	return n <= 1 ? 0 : fls64_(n - 1);
}

static uint64_t roundup_pow_of_two_(uint64_t n)
{
	return n <= 1 ? 1 : 1ull << fls64_(n - 1);
}

static void schedule_depot_work(struct iova_domain *d, struct iova_rcache *rc)
{
	if (rc->work_pending)
		return; /* schedule_delayed_work() on a pending work changes nothing */
	rc->work_pending = true;
	rc->work_due_ns = ktimer_fire_ns(d->now_ns, IOVA_DEPOT_DELAY_MS, d->hz);
}

/* iova_magazine_free_pfns(): the magazine's ranges back to the tree, under one lock. */
static void mag_free_pfns(struct iova_domain *d, struct iova_magazine *m)
{
	unsigned i;

	d->c.rbtree_locks++;
	for (i = 0; i < m->size; i++) {
		struct iova_node *n = private_find_iova(d, m->pfns[i]);

		if (n && n != &d->anchor)
			remove_iova(d, n);
	}
	m->size = 0;
}

/* iova_magazine_pop(): the last pfn at or below @limit_pfn, swapped out. 0 if none. */
static uint64_t mag_pop(struct iova_magazine *m, uint64_t limit_pfn)
{
	unsigned i = m->size - 1;
	uint64_t pfn;

	while (m->pfns[i] > limit_pfn) {
		if (i == 0)
			return 0;
		i--;
	}
	pfn = m->pfns[i];
	m->pfns[i] = m->pfns[--m->size];
	return pfn;
}

static struct iova_magazine *depot_pop(struct iova_rcache *rc)
{
	struct iova_magazine *m = rc->depot;

	rc->depot = m->next;
	m->next = NULL;
	m->size = IOVA_MAG_SIZE;
	rc->depot_size--;
	return m;
}

static void depot_push(struct iova_rcache *rc, struct iova_magazine *m)
{
	m->next = rc->depot;
	rc->depot = m;
	rc->depot_size++;
}

/* iova_depot_work_func() */
static void depot_work(struct iova_domain *d, struct iova_rcache *rc)
{
	struct iova_magazine *m = NULL;

	rc->work_pending = false;
	d->c.depot_work_runs++;
	d->c.depot_locks++;
	if (rc->depot_size > d->ncpus)
		m = depot_pop(rc);
	if (m) {
		mag_free_pfns(d, m);
		mag_free(d, m);
		d->c.depot_trims++;
		schedule_depot_work(d, rc);
	}
}

void iova_advance(struct iova_domain *d, uint64_t now_ns)
{
	for (;;) {
		struct iova_rcache *next = NULL;
		unsigned i;

		if (d->rcaches)
			for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
				struct iova_rcache *rc = &d->rcaches[i];

				if (rc->work_pending && rc->work_due_ns <= now_ns &&
				    (!next || rc->work_due_ns < next->work_due_ns))
					next = rc;
			}
		if (!next)
			break;
		if (next->work_due_ns > d->now_ns)
			d->now_ns = next->work_due_ns;
		depot_work(d, next);
	}
	if (now_ns > d->now_ns)
		d->now_ns = now_ns;
}

/* __iova_rcache_insert() */
static bool rcache_insert(struct iova_domain *d, struct iova_rcache *rc, unsigned cpu,
			  uint64_t pfn)
{
	struct iova_cpu_rcache *cr = &rc->cpu[cpu % d->ncpus];

	d->c.cpu_rcache_locks++;
	if (cr->loaded->size == IOVA_MAG_SIZE) {
		if (cr->prev->size < IOVA_MAG_SIZE) {
			struct iova_magazine *t = cr->prev;

			cr->prev = cr->loaded;
			cr->loaded = t;
		} else {
			d->c.depot_locks++;
			depot_push(rc, cr->loaded);
			d->c.depot_pushes++;
			schedule_depot_work(d, rc);
			cr->loaded = mag_new(d);
		}
	}
	cr->loaded->pfns[cr->loaded->size++] = pfn;
	return true;
}

/* __iova_rcache_get() */
static uint64_t rcache_get(struct iova_domain *d, struct iova_rcache *rc, unsigned cpu,
			   uint64_t limit_pfn)
{
	struct iova_cpu_rcache *cr = &rc->cpu[cpu % d->ncpus];
	bool has_pfn = false;

	d->c.cpu_rcache_locks++;
	if (cr->loaded->size) {
		has_pfn = true;
	} else if (cr->prev->size) {
		struct iova_magazine *t = cr->prev;

		cr->prev = cr->loaded;
		cr->loaded = t;
		has_pfn = true;
	} else {
		d->c.depot_locks++;
		if (rc->depot) {
			mag_free(d, cr->loaded);
			cr->loaded = depot_pop(rc);
			d->c.depot_pops++;
			has_pfn = true;
		}
	}
	return has_pfn ? mag_pop(cr->loaded, limit_pfn) : 0;
}

void iova_flush_cpu_rcache(struct iova_domain *d, unsigned cpu)
{
	unsigned i;

	if (!d->rcaches)
		return;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_cpu_rcache *cr = &d->rcaches[i].cpu[cpu % d->ncpus];

		d->c.cpu_rcache_locks++;
		mag_free_pfns(d, cr->loaded);
		mag_free_pfns(d, cr->prev);
	}
}

void iova_flush_depot(struct iova_domain *d)
{
	unsigned i;

	if (!d->rcaches)
		return;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rc = &d->rcaches[i];

		d->c.depot_locks++;
		while (rc->depot) {
			struct iova_magazine *m = depot_pop(rc);

			mag_free_pfns(d, m);
			mag_free(d, m);
		}
	}
}

uint64_t iova_rcache_count(const struct iova_domain *d)
{
	uint64_t n = 0;
	unsigned i, c;

	if (!d->rcaches)
		return 0;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		const struct iova_rcache *rc = &d->rcaches[i];

		for (c = 0; c < d->ncpus; c++)
			n += rc->cpu[c].loaded->size + rc->cpu[c].prev->size;
		n += (uint64_t)rc->depot_size * IOVA_MAG_SIZE;
	}
	return n;
}

uint64_t iova_alloc_fast(struct iova_domain *d, unsigned cpu, uint64_t size, uint64_t limit_pfn,
			 bool flush_rcache)
{
	uint64_t pfn;
	struct iova_node *n;
	unsigned c, log;

	if (!size || limit_pfn >= IOVA_ANCHOR_PFN)
		return 0;
	if (size < (1u << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		size = roundup_pow_of_two_(size);
	/* iova_rcache_get(iovad, size, limit_pfn + 1) */
	log = order_base_2_(size);
	if (d->rcaches && log < IOVA_RANGE_CACHE_MAX_SIZE) {
		/* limit_pfn + 1 - size wraps as in the kernel when size > limit_pfn + 1 */
		pfn = rcache_get(d, &d->rcaches[log], cpu, limit_pfn + 1 - size);
		if (pfn) {
			d->c.rcache_hits++;
			return pfn;
		}
		d->c.rcache_misses++;
	} else {
		d->c.rcache_bypass++;
	}
	for (;;) {
		n = alloc_and_insert(d, size, limit_pfn + 1, true);
		if (n)
			return n->pfn_lo;
		if (!flush_rcache || !d->rcaches) {
			d->c.fast_fails_final++;
			return 0;
		}
		flush_rcache = false;
		d->c.rcache_flushes++;
		for (c = 0; c < d->ncpus; c++)
			iova_flush_cpu_rcache(d, c);
		iova_flush_depot(d);
	}
}

void iova_free_fast(struct iova_domain *d, unsigned cpu, uint64_t pfn, uint64_t size)
{
	unsigned log = order_base_2_(size);

	if (d->rcaches && log < IOVA_RANGE_CACHE_MAX_SIZE) {
		if (rcache_insert(d, &d->rcaches[log], cpu, pfn)) {
			d->c.rcache_inserts++;
			return;
		}
	} else {
		d->c.rcache_insert_bypass++;
	}
	iova_free(d, pfn);
}

/* ---- iommu_dma_alloc_iova() ----------------------------------------------------------- */

uint64_t iova_dma_alloc(struct iova_domain *d, struct iova_dma_dev *dev, unsigned cpu,
			uint64_t size, uint64_t aperture_end)
{
	unsigned shift = d->granule_shift;
	uint64_t len = size >> shift, limit = dev->dma_mask, pfn;

	if (dev->bus_dma_limit && (!limit || dev->bus_dma_limit < limit))
		limit = dev->bus_dma_limit;
	if (aperture_end < limit)
		limit = aperture_end;
	if (!len)
		return 0;
	if (limit > 0xffffffffull && dev->pci_32bit_workaround) {
		pfn = iova_alloc_fast(d, cpu, len, 0xffffffffull >> shift, false);
		if (pfn)
			return pfn << shift;
		dev->pci_32bit_workaround = false;
		d->c.dac_fallbacks++;
	}
	pfn = iova_alloc_fast(d, cpu, len, limit >> shift, true);
	return pfn << shift;
}

void iova_dma_free(struct iova_domain *d, unsigned cpu, uint64_t iova, uint64_t size)
{
	iova_free_fast(d, cpu, iova >> d->granule_shift, size >> d->granule_shift);
}

/* ---- debug check ---------------------------------------------------------------------- */

static int check_node(const struct iova_node *n, const struct iova_node *parent, int *bh)
{
	int lh, rh;

	if (!n) {
		*bh = 1;
		return 0;
	}
	if (n->parent != parent)
		return -1;
	if (n->pfn_lo > n->pfn_hi)
		return -1;
	if (n->red && (rb_red(n->left) || rb_red(n->right)))
		return -1;
	if (n->left && n->left->pfn_hi >= n->pfn_lo)
		return -1;
	if (n->right && n->right->pfn_lo <= n->pfn_hi)
		return -1;
	if (check_node(n->left, n, &lh) || check_node(n->right, n, &rh) || lh != rh)
		return -1;
	*bh = lh + !n->red;
	return 0;
}

int iova_check(const struct iova_domain *d)
{
	const struct iova_node *n, *prev = NULL;
	int bh;
	uint64_t count = 0;

	if (!d->root || d->root->red || check_node(d->root, NULL, &bh))
		return -1;
	for (n = rb_first(d->root); n; n = rb_next((struct iova_node *)n)) {
		if (prev && prev->pfn_hi >= n->pfn_lo)
			return -1;
		prev = n;
		count++;
	}
	return count == d->nodes + 1 ? 0 : -1;
}
