/*
 * resource.h: the shared resources the engine models as queues (the hypervisor's TCE table
 * lock, IOMMU pool locks, swiotlb area locks, an IOMMU domain's rbtree lock, ...). A strategy
 * asks for one by name at init and puts its id in the actions that hold it (action.h, `res`);
 * the engine (sim.c) makes CPUs that want a held resource wait, which is the lock_wait
 * category. Ids are per run; 0 is "none". Core interface: includes nothing of iommusim.
 */
#ifndef ISM_RESOURCE_H
#define ISM_RESOURCE_H

#include <stdint.h>

struct sim;

/* The id of resource @name of @sim (made at the first request; the same name, the same id). */
uint16_t sim_resource(struct sim *sim, const char *name);

#endif
