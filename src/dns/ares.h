/*
 * Private: one c-ares channel, with its sockets exposed for poll(). The
 * async engine and the blocking live resolver are both built on it.
 */
#ifndef EMAUTH_DNS_ARES_H
#define EMAUTH_DNS_ARES_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <emauth/dns.h>

typedef struct ea_ares ea_ares;

/*
 * Called once per query with the classified answer (valid during the call
 * only), how long it may be cached, and the time it took.
 */
typedef void (*ea_ares_cb)(void *arg, const emauth_dns_answer *a, uint32_t ttl,
                           uint64_t elapsed_us);

emauth_status ea_ares_new(const emauth_dns_options *opts, ea_ares **out, emauth_error *err);
/* Cancels outstanding queries (their callbacks see a SERVFAIL "cancelled"). */
void ea_ares_free(ea_ares *a);

emauth_status ea_ares_query(ea_ares *a, const emauth_dns_question *q, ea_ares_cb cb, void *arg);

/* Queries sent and not yet answered. */
size_t ea_ares_pending(const ea_ares *a);

/* Fills up to max pollfds for the channel's sockets; returns how many there are. */
size_t ea_ares_pollfds(const ea_ares *a, struct pollfd *fds, size_t max);

/* Milliseconds until c-ares must run for a timeout; -1 when nothing is pending. */
int ea_ares_timeout_ms(ea_ares *a);

/* Handles ready sockets (revents set in fds) and expired timeouts. */
void ea_ares_process(ea_ares *a, const struct pollfd *fds, size_t n);

/* Monotonic clock in microseconds. */
uint64_t ea_now_us(void);

#endif
