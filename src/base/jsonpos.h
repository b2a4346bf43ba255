/*
 * jsonpos.h: find where things are in a JSON text. jansson gives a line and column for syntax
 * errors only; once a document is parsed its values carry no position. These functions
 * tokenise the original text again (strings with escapes, numbers, literals, nesting) to find
 * the line and column of an object member given its key path, so that errors found while
 * walking the parsed document can point into the file.
 *
 * Positions: line and column are 1-based; a column counts characters (UTF-8 code points, a
 * tab is one), which is how jansson counts them.
 */
#ifndef ISM_JSONPOS_H
#define ISM_JSONPOS_H

#include <stddef.h>

struct jsonpos {
	size_t off;     /* byte offset of the first byte of the token */
	unsigned line;  /* 1-based */
	unsigned col;   /* 1-based, in characters */
};

/**
 * jsonpos_find() - locate an object member by its key path
 * @text, @len: the JSON text
 * @keys, @n: the path from the top-level object: keys[0] is a member of it, keys[1] a member of
 *            that member's object value, and so on (decoded key strings, not dotted)
 * @key: filled with the position of the member's key (its opening quote); may be NULL
 * @val: filled with the position of the member's value; may be NULL
 *
 * The first matching member in document order wins. Return: 0, or -1 when there is no such
 * member or the text cannot be tokenised up to it.
 */
int jsonpos_find(const char *text, size_t len, const char *const *keys, unsigned n,
		 struct jsonpos *key, struct jsonpos *val);

/**
 * jsonpos_key_before() - the last object key whose token ends at or before a byte offset
 * @text, @len: the JSON text (may be invalid after @end)
 * @end: byte offset, e.g. json_error_t.position of a "duplicate object key" error (jansson
 *       reports the offset just after the key's closing quote)
 * @path: on success a malloc'd dotted path of that key ("machine.cpus"); array elements show
 *        as "[N]"
 * @key: filled with the position of that key; may be NULL
 * @first: filled with the position of the first member in the document with the same path
 *         (the earlier occurrence of a duplicate key; @key itself if there is none); may be NULL
 *
 * Return: 0, or -1 when no key ends at or before @end.
 */
int jsonpos_key_before(const char *text, size_t len, size_t end, char **path, struct jsonpos *key,
		       struct jsonpos *first);

/* Line and column of byte offset @off. */
struct jsonpos jsonpos_at(const char *text, size_t len, size_t off);

#endif
