/*
 * strategy-passthrough.c: the reference strategy and the template for new ones. No
 * translation, no protection, no cost: every DMA operation is free. What other strategies
 * cost is measured against it.
 */
#include "config.h"

#include "strategy.h"

static int passthrough_init(struct strat *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

const struct strategy_ops strategy_passthrough_ops = {
	.name = "passthrough",
	.summary = "no IOMMU, no protection, no cost: the reference",
	.init = passthrough_init,
};
