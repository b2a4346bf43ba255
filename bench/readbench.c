/*
 * readbench.c: drains a trace through one reader and prints events/s and peak RSS.
 *   readbench TRACE [FORMAT]
 * Output: one line "reader=NAME events=N seconds=S events_per_s=R peak_rss_kib=K".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "reader.h"

int main(int argc, char **argv)
{
	struct reader *r;
	struct ism_event ev;
	struct timespec a, b;
	struct rusage ru;
	char *cause = NULL;
	uint64_t n = 0, sum = 0;
	double s;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: readbench TRACE [FORMAT]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (reader_open(argv[1], argc > 2 ? argv[2] : NULL, &r, &cause) < 0) {
		fprintf(stderr, "readbench: %s\n", cause);
		return 2;
	}
	while ((ret = reader_next(r, &ev)) > 0) {
		n++;
		sum += ev.addr ^ ev.size; /* touch the event so nothing is optimised away */
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (ret < 0) {
		fprintf(stderr, "readbench: %s\n", reader_error(r));
		return 2;
	}
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	printf("reader=%s events=%llu seconds=%.3f events_per_s=%.0f peak_rss_kib=%ld check=%llx\n",
	       r->ops->name, (unsigned long long)n, s, (double)n / s, ru.ru_maxrss,
	       (unsigned long long)(sum & 0xff));
	reader_close(r);
	return 0;
}
