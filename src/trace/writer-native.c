/*
 * writer-native.c: writes the native binary format (man/iommusim-trace.5).
 * Device names are defined inline by DEVICE records just before their first use, so the
 * writer streams: it needs no pass over the input and no table in the header.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "native.h"
#include "output.h"
#include "reader.h"

#define W_BUFSZ (1u << 20)

struct ism_writer {
	char *path;
	int fd;
	int own_fd;
	struct ofile *of;  /* the atomic output, or NULL (writer_open_fd) */
	struct ism_fletcher4 sum; /* of everything written so far */
	uint64_t blocks;   /* 64-byte blocks written after the header */
	size_t hdrsize;
	unsigned char *buf;
	size_t len, cap;
	int err;
	char *errmsg;
	uint64_t nevents;
	struct ism_devtab devs;
	struct ism_prov *prov;
	unsigned nprov;
	int header_done;
	uint32_t *pids;      /* per CPU: the task id the reader has been told */
	unsigned npids;
};

static int w_flush(struct ism_writer *w)
{
	size_t off = 0;

	if (!w->err)
		ism_fletcher4_add(&w->sum, w->buf, w->len);
	while (off < w->len && !w->err) {
		ssize_t r = write(w->fd, w->buf + off, w->len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			w->err = -ISM_EIO;
			w->errmsg = xasprintf("%s: write error: %s", w->path, strerror(errno));
			break;
		}
		off += (size_t)r;
	}
	w->len = 0;
	return w->err;
}

static unsigned char *w_reserve(struct ism_writer *w, size_t n)
{
	unsigned char *p;

	if (w->len + n > w->cap)
		w_flush(w);
	if (n > w->cap) {
		/* one huge sg list: grow rather than split a record */
		w->buf = xrealloc(w->buf, n);
		w->cap = n;
	}
	p = w->buf + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

void writer_add_prov(struct ism_writer *w, const char *key, const char *value)
{
	for (unsigned i = 0; i < w->nprov; i++)
		if (strcmp(w->prov[i].key, key) == 0) {
			free(w->prov[i].value);
			w->prov[i].value = xstrdup(value);
			return;
		}
	w->prov = xreallocarray(w->prov, w->nprov + 1, sizeof(*w->prov));
	w->prov[w->nprov].key = xstrdup(key);
	w->prov[w->nprov].value = xstrdup(value);
	w->nprov++;
}

static struct ism_writer *writer_new(const char *name, const struct reader *src)
{
	struct ism_writer *w = xcalloc(1, sizeof(*w));

	w->path = xstrdup(name);
	w->buf = xmalloc(W_BUFSZ);
	w->cap = W_BUFSZ;
	devtab_init(&w->devs);
	writer_add_prov(w, "tool", PACKAGE_NAME " " PACKAGE_VERSION);
	if (src)
		for (unsigned i = 0; i < src->nprov; i++)
			writer_add_prov(w, src->prov[i].key, src->prov[i].value);
	return w;
}

int writer_open(const char *path, const struct reader *src, struct ism_writer **out, char **cause)
{
	struct ofile *of;
	struct ism_writer *w;
	int ret = ofile_open(path, &of, cause);

	if (ret < 0)
		return ret;
	w = writer_new(strcmp(path, "-") == 0 ? "standard output" : path, src);
	w->of = of;
	w->fd = ofile_fd(of);
	*out = w;
	return 0;
}

int writer_open_fd(int fd, const char *name, const struct reader *src, struct ism_writer **out)
{
	struct ism_writer *w = writer_new(name, src);

	w->fd = fd;
	w->own_fd = 1;
	*out = w;
	return 0;
}

/* Provenance values must stay on one line. */
static size_t prov_text(struct ism_writer *w, char *dst)
{
	size_t n = 0;

	for (unsigned i = 0; i < w->nprov; i++) {
		const char *k = w->prov[i].key, *v = w->prov[i].value;
		size_t kl = strlen(k), vl = strlen(v);

		if (dst) {
			memcpy(dst + n, k, kl);
			dst[n + kl] = '=';
			for (size_t j = 0; j < vl; j++)
				dst[n + kl + 1 + j] = (v[j] == '\n' || v[j] == '\0') ? ' ' : v[j];
			dst[n + kl + 1 + vl] = '\n';
		}
		n += kl + vl + 2;
		if (n > ISM_NATIVE_MAX_PROV - 256)
			break;
	}
	return n;
}

static void write_header(struct ism_writer *w)
{
	size_t provlen = prov_text(w, NULL);
	size_t hdrsize = (ISM_NATIVE_HDR + provlen + ISM_NATIVE_REC - 1) / ISM_NATIVE_REC *
			 ISM_NATIVE_REC;
	unsigned char *h = w_reserve(w, hdrsize);

	memcpy(h + NH_MAGIC, ISM_NATIVE_MAGIC, 8);
	ism_put32(h + NH_VERSION, ISM_NATIVE_VERSION);
	ism_put32(h + NH_BOM, ISM_NATIVE_BOM);
	ism_put16(h + NH_RECSIZE, ISM_NATIVE_REC);
	ism_put32(h + NH_HDRSIZE, (uint32_t)hdrsize);
	ism_put32(h + NH_PROVLEN, (uint32_t)provlen);
	prov_text(w, (char *)h + ISM_NATIVE_HDR);
	w->hdrsize = hdrsize;
	w->header_done = 1;
}

int writer_write(struct ism_writer *w, const struct ism_event *ev, const char *devname)
{
	unsigned char *b;
	unsigned fid = 0;
	uint64_t size = ev->size, ncont;
	uint32_t nsg = ev->nsg;

	if (w->err)
		return w->err;
	if (!w->header_done)
		write_header(w);
	if (ev->dev && devname) {
		unsigned before = w->devs.n;
		int id = devtab_intern(&w->devs, devname, strlen(devname));
		size_t nl = strlen(devname);

		if (id < 0) {
			w->err = -ISM_ETOOMANY;
			w->errmsg = xasprintf("%s: more than 65535 device names", w->path);
			return w->err;
		}
		fid = (unsigned)id;
		if (w->devs.n != before) {
			if (nl > ISM_NATIVE_MAX_TEXT)
				nl = ISM_NATIVE_MAX_TEXT;
			ncont = ism_native_ncont(ISM_NATIVE_DEVICE, 0, nl);
			b = w_reserve(w, (size_t)(1 + ncont) * ISM_NATIVE_REC);
			w->blocks += 1 + ncont;
			b[NR_KIND] = ISM_NATIVE_DEVICE;
			ism_put16(b + NR_DEV, (uint16_t)fid);
			ism_put64(b + NR_SIZE, nl);
			memcpy(b + ISM_NATIVE_REC, devname, nl);
		}
	}
	if (ev->cpu < w->npids ? w->pids[ev->cpu] != ev->pid : ev->pid != 0) {
		/* the CPU runs another task: say so once, for its following records */
		if (ev->cpu >= w->npids) {
			unsigned n = w->npids ? w->npids : 8;

			while (n <= ev->cpu)
				n *= 2;
			w->pids = xreallocarray(w->pids, n, sizeof(*w->pids));
			memset(w->pids + w->npids, 0, (n - w->npids) * sizeof(*w->pids));
			w->npids = n;
		}
		w->pids[ev->cpu] = ev->pid;
		b = w_reserve(w, ISM_NATIVE_REC);
		w->blocks++;
		b[NR_KIND] = ISM_NATIVE_TASK;
		ism_put16(b + NR_CPU, ev->cpu);
		ism_put64(b + NR_ARG, ev->pid);
	}
	if (nsg > ISM_NATIVE_MAX_SG)
		nsg = ISM_NATIVE_MAX_SG;
	if (ev->kind == ISM_EV_MARKER)
		size = ev->text_len > ISM_NATIVE_MAX_TEXT ? ISM_NATIVE_MAX_TEXT : ev->text_len;
	ncont = ism_native_ncont(ev->kind, nsg, size);
	b = w_reserve(w, (size_t)(1 + ncont) * ISM_NATIVE_REC);
	w->blocks += 1 + ncont;
	ism_put64(b + NR_TS, ev->ts_ns);
	ism_put64(b + NR_ADDR, ev->addr);
	ism_put64(b + NR_PADDR, ev->paddr);
	ism_put64(b + NR_SIZE, size);
	ism_put64(b + NR_ARG, ev->arg);
	ism_put32(b + NR_ATTRS, ev->attrs);
	ism_put32(b + NR_NENTS, ev->nents);
	ism_put32(b + NR_ENTS, ev->ents);
	ism_put32(b + NR_NSG, nsg);
	ism_put16(b + NR_CPU, ev->cpu);
	ism_put16(b + NR_DEV, (uint16_t)fid);
	b[NR_KIND] = ev->kind;
	b[NR_DIR] = ev->dir;
	ism_put16(b + NR_FLAGS, ev->flags);
	if (nsg) {
		unsigned char *s = b + ISM_NATIVE_REC;

		for (uint32_t i = 0; i < nsg; i++, s += ISM_NATIVE_SGE) {
			ism_put64(s, ev->sg[i].phys);
			ism_put64(s + 8, ev->sg[i].dma);
			ism_put32(s + 16, ev->sg[i].len);
			ism_put32(s + 20, ev->sg[i].flags);
		}
	}
	if (ev->kind == ISM_EV_MARKER && size)
		memcpy(b + ISM_NATIVE_REC + (size_t)nsg * ISM_NATIVE_SGE, ev->text, (size_t)size);
	w->nevents++;
	return w->err;
}

static void writer_free(struct ism_writer *w)
{
	free(w->errmsg);
	for (unsigned i = 0; i < w->nprov; i++) {
		free(w->prov[i].key);
		free(w->prov[i].value);
	}
	free(w->prov);
	devtab_free(&w->devs);
	free(w->pids);
	free(w->buf);
	free(w->path);
	free(w);
}

void writer_abort(struct ism_writer *w)
{
	if (!w)
		return;
	if (w->of)
		ofile_abort(w->of);
	else if (w->own_fd)
		close(w->fd);
	writer_free(w);
}

int writer_close(struct ism_writer *w, char **cause)
{
	int err;

	if (!w->header_done && !w->err)
		write_header(w);
	w_flush(w);
	if (!w->err) {
		/* the end record: what a complete file holds, and the checksum of all before it */
		struct ism_fletcher4 f = w->sum;
		unsigned char *b = w_reserve(w, ISM_NATIVE_REC);

		ism_put64(b + NE_EVENTS, w->nevents);
		ism_put64(b + NE_BLOCKS, w->blocks);
		ism_put64(b + NE_SUM, f.a);
		ism_put64(b + NE_SUM + 8, f.b);
		ism_put64(b + NE_SUM + 16, f.c);
		ism_put64(b + NE_SUM + 24, f.d);
		b[NR_KIND] = ISM_NATIVE_END;
		w_flush(w);
	}
	if (!w->err && (w->of ? ofile_is_temp(w->of) : w->own_fd)) {
		unsigned char n[8];

		ism_put64(n, w->nevents);
		/* a file of our own: the count in the header too (a pipe or device keeps 0) */
		if (pwrite(w->fd, n, 8, NH_NEVENTS) != 8) {
			w->err = -ISM_EIO;
			w->errmsg = xasprintf("%s: write error: %s", w->path, strerror(errno));
		}
	}
	if (w->of) {
		if (w->err) {
			ofile_abort(w->of);
		} else if (ofile_commit(w->of, &w->errmsg) < 0) {
			w->err = -ISM_EIO;
		}
	} else if (w->own_fd && close(w->fd) < 0 && !w->err) {
		w->err = -ISM_EIO;
		w->errmsg = xasprintf("%s: close: %s", w->path, strerror(errno));
	}
	err = w->err;
	if (err && cause)
		*cause = w->errmsg, w->errmsg = NULL;
	writer_free(w);
	return err;
}
