/*
 * error.h: the library's error codes. Library code returns -ISM_E* and never prints or exits;
 * the CLI turns codes into messages and exit statuses (ism_err_exit()).
 */
#ifndef ISM_ERROR_H
#define ISM_ERROR_H

/* X(name, exit status, message) */
#define ISM_ERRORS(X)                                              \
	X(OK, 0, "success")                                        \
	X(IO, 1, "input/output error")                             \
	X(NOMEM, 1, "out of memory")                               \
	X(FORMAT, 2, "unrecognised trace format")                  \
	X(CORRUPT, 2, "corrupt input")                             \
	X(TRUNCATED, 2, "truncated input")                         \
	X(VERSION, 2, "unsupported format version")                \
	X(UNSUPPORTED, 2, "feature not built in")                  \
	X(USAGE, 2, "usage error")                                 \
	X(RANGE, 2, "value out of range")                          \
	X(TOOMANY, 2, "too many entries")

enum ism_err {
#define ISM_ERR_ENUM(n, s, m) ISM_E##n,
	ISM_ERRORS(ISM_ERR_ENUM)
#undef ISM_ERR_ENUM
	ISM_E__COUNT
};

const char *ism_strerror(int err);
int ism_err_exit(int err);

#endif
