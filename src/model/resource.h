/*
 * resource.h: the shared resources the engine models as queues (the hypervisor's TCE table
 * lock, IOMMU pool locks, swiotlb area locks, an IOMMU domain's rbtree lock, ...). A strategy
 * asks for one by name, at init or when it first needs it (a domain per device), and puts its
 * id in the actions that hold it (action.h, `res`); the engine (sim.c) makes CPUs that want a
 * held resource wait, which is the lock_wait category. Each run books its own calendar per id,
 * so runs never wait for each other; 0 is "none". Core interface: includes nothing of iommusim.
 */
#ifndef ISM_RESOURCE_H
#define ISM_RESOURCE_H

#include <stdint.h>

struct sim;

/* A new resource @name of @sim: its id (every request makes one; 0 when 65534 exist). Safe to
 * call from the replay's threads. */
uint16_t sim_resource(struct sim *sim, const char *name);

#endif
