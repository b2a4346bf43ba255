/*
 * fuzz-regress.c: libFuzzer harness for the regress input: two result JSON files (run/compare
 * --format json), the baseline and the current one, separated by the input's first NUL byte
 * (no NUL: the input is compared with itself). Each is checked as `regress` checks it, then
 * compared, and the verdict built as JSON.
 */
#include "config.h"

#include <jansson.h>

#include "fuzz.h"
#include "metrics.h"
#include "regress.h"

static json_t *load(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
	char *cause = NULL;

	if (j && metric_check_result(j, &cause) < 0) {
		free(cause);
		json_decref(j);
		j = NULL;
	}
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	json_t *base = load(data, n1);
	json_t *cur = nul ? load(nul + 1, size - n1 - 1) : json_incref(base);
	struct regress_opts o;
	struct regress_result r;
	char *cause = NULL;

	memset(&o, 0, sizeof(o));
	if (base && cur) {
		if (regress_compare(base, cur, &o, &r, &cause) == 0) {
			json_t *j = regress_json(&r, "base.json", "current.json");
			char *text = json_dumps(j, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));

			free(text);
			json_decref(j);
			regress_free(&r);
		} else {
			free(cause);
		}
	}
	json_decref(base);
	json_decref(cur);
	return 0;
}
