/*
 * emauth/async.h - many evaluations in flight on one DNS channel.
 *
 * The engine owns a c-ares channel (or answers from a zone), a shared
 * answer cache and the evaluations in flight. Questions asked by several
 * evaluations at once go to the network once; answers are cached for
 * their TTL (negative answers too, RFC 2308).
 *
 * Use it from your own event loop:
 *
 *     emauth_async_spf(as, &req, done, arg, &err);      // as many as you like
 *     while (emauth_async_in_flight(as) > 0) {
 *         struct pollfd fds[64];
 *         size_t n = emauth_async_pollfds(as, fds, 64);
 *         poll(fds, n, emauth_async_timeout(as));
 *         emauth_async_process(as, fds, n);            // callbacks run here
 *     }
 *
 * or let emauth_async_run() do exactly that. One engine is used from one
 * thread at a time.
 */
#ifndef EMAUTH_ASYNC_H
#define EMAUTH_ASYNC_H

#include <poll.h>
#include <stddef.h>
#include <emauth/dmarc.h>
#include <emauth/dns.h>
#include <emauth/spf.h>
#include <emauth/spf_lint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct emauth_async emauth_async;

/* An engine on live DNS (c-ares); opts NULL = defaults and /etc/resolv.conf. */
emauth_status emauth_async_new(const emauth_dns_options *opts, emauth_async **out,
                               emauth_error *err);

/* An engine answering from a zone, at once (offline runs, tests). The zone
 * must outlive the engine. */
emauth_status emauth_async_new_zone(emauth_zone *zone, emauth_async **out, emauth_error *err);

/* Frees the engine; checks still in flight are dropped without callback. */
void emauth_async_free(emauth_async *as);

/*
 * Called once per check with its result, valid during the call only. It
 * runs from emauth_async_spf() itself when every answer was at hand, or
 * from emauth_async_process(). It may submit further checks.
 */
typedef void (*emauth_async_spf_fn)(void *arg, const emauth_spf_result *res);

/* Starts an SPF check of req (copied). Fails only for an invalid request or
 * out of memory, and then cb is not called. */
emauth_status emauth_async_spf(emauth_async *as, const emauth_spf_request *req,
                               emauth_async_spf_fn cb, void *arg, emauth_error *err);

/*
 * The SPF analyzer (emauth/spf_lint.h) on the engine: the tree of domain's
 * record. cb gets the report, valid during the call only.
 */
typedef void (*emauth_async_lint_fn)(void *arg, const emauth_lint_report *report);
emauth_status emauth_async_spf_lint(emauth_async *as, const char *domain,
                                    emauth_async_lint_fn cb, void *arg, emauth_error *err);

/*
 * The DMARC checker (emauth/dmarc.h) on the engine: the record that applies
 * to domain, found by discovery in mode, and its problems. cb gets the
 * report, valid during the call only. Fails only for an invalid domain or
 * out of memory, and then cb is not called.
 */
typedef void (*emauth_async_dmarc_fn)(void *arg, const emauth_dmarc_report *report);
emauth_status emauth_async_dmarc_check(emauth_async *as, const char *domain,
                                       emauth_dmarc_mode mode, emauth_async_dmarc_fn cb,
                                       void *arg, emauth_error *err);

/*
 * One DNS question on the engine, through its cache and joined to the same
 * question in flight. cb gets the answer (every DNS outcome is an answer),
 * valid during the call only: at once, from emauth_async_query() itself,
 * when it is at hand (cache, zone), else from emauth_async_process(). q is
 * copied. Fails only for an invalid question or out of memory, and then cb
 * is not called.
 */
typedef void (*emauth_async_query_fn)(void *arg, const emauth_dns_answer *a);
emauth_status emauth_async_query(emauth_async *as, const emauth_dns_question *q,
                                 emauth_async_query_fn cb, void *arg, emauth_error *err);

/*
 * A blocking resolver over the engine, so code written for one
 * (emauth_resolver) shares the engine's cache and joins its questions in
 * flight. Its query() submits emauth_async_query() and runs the engine's
 * poll loop, as emauth_async_run() does, until that answer came; other
 * checks' callbacks run meanwhile. The answer is a copy, valid until the
 * next query() or until the engine is freed. Owned by the engine: its
 * destroy is NULL. Never call its query() from inside an engine callback.
 */
emauth_resolver *emauth_async_resolver(emauth_async *as);

/* Checks submitted and not yet completed. */
size_t emauth_async_in_flight(const emauth_async *as);

/* Fills up to max pollfds to wait on; returns how many there are (call
 * again with more room if that is more than max). */
size_t emauth_async_pollfds(emauth_async *as, struct pollfd *fds, size_t max);

/* Milliseconds to wait at most before calling emauth_async_process(); -1 = no limit. */
int emauth_async_timeout(emauth_async *as);

/* Handles what poll() reported in fds (revents) and any expired timeouts. */
emauth_status emauth_async_process(emauth_async *as, const struct pollfd *fds, size_t n);

/* poll() + process until no check is in flight. */
emauth_status emauth_async_run(emauth_async *as);

/* Counters since the engine was made. */
void emauth_async_stats(const emauth_async *as, emauth_dns_stats *out);

#ifdef __cplusplus
}
#endif
#endif
