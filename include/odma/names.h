/* SPDX-License-Identifier: MIT */
/*
 * odma/names.h - the short dma_X names of odma's public functions.
 *
 * Each public function is defined once, as odma_X, in the part that owns
 * it; here each gets its dma_X twin, a one-line always-inline wrapper
 * (zero cost). Define ODMA_NO_SHORT_NAMES before including odma.h and none
 * of these exist, so a tree with its own dma_read, dma_write, dma_rw,
 * dma_map or dma_set can still include odma and call odma_X. The typed
 * dma_ld_* / dma_st_* twins are made beside their family in odma/ldst.h.
 */
#ifndef ODMA_NAMES_H
#define ODMA_NAMES_H

#include "map.h"
#include "publish.h"

#ifndef ODMA_NO_SHORT_NAMES
#define ODMA__TWIN ODMA__ACCESSOR
/* result.h, ctx.h, dirty.h */
ODMA__TWIN const char *dma_result_str(dma_result r) { return odma_result_str(r); }
ODMA__TWIN void dma_ctx_init(struct dma_ctx *c, const struct dma_policy *p) { odma_ctx_init(c, p); }
ODMA__TWIN dma_result dma_ctx_add_region(struct dma_ctx *c, uint64_t gpa, uint64_t size,
                                        void *host, unsigned flags)
{ return odma_ctx_add_region(c, gpa, size, host, flags); }
ODMA__TWIN dma_result dma_ctx_del_region(struct dma_ctx *c, uint64_t gpa, uint64_t size)
{ return odma_ctx_del_region(c, gpa, size); }
ODMA__TWIN dma_result dma_ctx_set_regions(struct dma_ctx *c, const struct dma_region_desc *d,
                                         unsigned n)
{ return odma_ctx_set_regions(c, d, n); }
ODMA__TWIN unsigned dma_ctx_reclaim(struct dma_ctx *c) { return odma_ctx_reclaim(c); }
ODMA__TWIN void dma_ctx_destroy(struct dma_ctx *c) { odma_ctx_destroy(c); }
ODMA__TWIN unsigned dma_ctx_region_count(const struct dma_ctx *c) { return odma_ctx_region_count(c); }
ODMA__TWIN void dma_ctx_set_translate_attrs(struct dma_ctx *c, dma_translate_attrs_fn fn,
                                           void *opaque)
{ odma_ctx_set_translate_attrs(c, fn, opaque); }
ODMA__TWIN void dma_ctx_set_attrs(struct dma_ctx *c, dma_attrs attrs) { odma_ctx_set_attrs(c, attrs); }
ODMA__TWIN const struct dma_policy *dma_ctx_policy(const struct dma_ctx *c) { return odma_ctx_policy(c); }
ODMA__TWIN void dma_ctx_set_translate(struct dma_ctx *c, dma_translate_fn fn, void *opaque)
{ odma_ctx_set_translate(c, fn, opaque); }
ODMA__TWIN void dma_ctx_set_bus_master(struct dma_ctx *c, bool on) { odma_ctx_set_bus_master(c, on); }
ODMA__TWIN bool dma_ctx_bus_master(const struct dma_ctx *c) { return odma_ctx_bus_master(c); }
ODMA__TWIN dma_result dma_ctx_set_dirty_log(struct dma_ctx *c, uint64_t gpa, struct dma_dirty_log *log)
{ return odma_ctx_set_dirty_log(c, gpa, log); }
ODMA__TWIN size_t dma_dirty_log_harvest(struct dma_dirty_log *log, unsigned long *out)
{ return odma_dirty_log_harvest(log, out); }
/* access.h */
ODMA__TWIN dma_result dma_read(struct dma_ctx *c, uint64_t a, void *b, size_t n)
{ return odma_read(c, a, b, n); }
ODMA__TWIN dma_result dma_read_relaxed(struct dma_ctx *c, uint64_t a, void *b, size_t n)
{ return odma_read_relaxed(c, a, b, n); }
ODMA__TWIN dma_result dma_write(struct dma_ctx *c, uint64_t a, const void *b, size_t n)
{ return odma_write(c, a, b, n); }
ODMA__TWIN dma_result dma_write_relaxed(struct dma_ctx *c, uint64_t a, const void *b, size_t n)
{ return odma_write_relaxed(c, a, b, n); }
ODMA__TWIN dma_result dma_rw(struct dma_ctx *c, uint64_t a, void *b, size_t n, dma_dir d)
{ return odma_rw(c, a, b, n, d); }
ODMA__TWIN dma_result dma_rw_relaxed(struct dma_ctx *c, uint64_t a, void *b, size_t n, dma_dir d)
{ return odma_rw_relaxed(c, a, b, n, d); }
ODMA__TWIN dma_result dma_rw_attrs(struct dma_ctx *c, uint64_t a, void *b, size_t n, dma_dir d,
                                  dma_attrs attrs)
{ return odma_rw_attrs(c, a, b, n, d, attrs); }
ODMA__TWIN dma_result dma_set(struct dma_ctx *c, uint64_t a, int byte, size_t n)
{ return odma_set(c, a, byte, n); }
ODMA__TWIN dma_result dma_set_relaxed(struct dma_ctx *c, uint64_t a, int byte, size_t n)
{ return odma_set_relaxed(c, a, byte, n); }
/* publish.h */
ODMA__TWIN dma_result dma_write_publish(struct dma_ctx *c, uint64_t a, const void *rec, size_t n,
                                       size_t flag_off, size_t flag_len)
{ return odma_write_publish(c, a, rec, n, flag_off, flag_len); }
ODMA__TWIN dma_result dma_read_consume(struct dma_ctx *c, uint64_t a, void *rec, size_t n,
                                      size_t flag_off, size_t flag_len)
{ return odma_read_consume(c, a, rec, n, flag_off, flag_len); }
ODMA__TWIN void dma_notify_barrier(struct dma_ctx *c) { odma_notify_barrier(c); }
/* map.h */
ODMA__TWIN void *dma_map(struct dma_ctx *c, uint64_t a, uint64_t *len, dma_dir d, dma_result *res)
{ return odma_map(c, a, len, d, res); }
ODMA__TWIN void *dma_map_relaxed(struct dma_ctx *c, uint64_t a, uint64_t *len, dma_dir d,
                                 dma_result *res)
{ return odma_map_relaxed(c, a, len, d, res); }
ODMA__TWIN void dma_unmap(struct dma_ctx *c, void *host, uint64_t len, dma_dir d, uint64_t access_len)
{ odma_unmap(c, host, len, d, access_len); }
ODMA__TWIN unsigned dma_ctx_maps_outstanding(const struct dma_ctx *c)
{ return odma_ctx_maps_outstanding(c); }
ODMA__TWIN bool dma_ctx_quiesce(struct dma_ctx *c, uint64_t timeout_ns)
{ return odma_ctx_quiesce(c, timeout_ns); }
#undef ODMA__TWIN
#endif /* ODMA_NO_SHORT_NAMES */

#endif /* ODMA_NAMES_H */
