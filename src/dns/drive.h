/*
 * Private: the blocking loop every sans-I/O machine offers as *_run(): ask
 * the machine for a question, the resolver for the answer, give it back,
 * until the machine is done. A resolver call that fails (out of memory, a
 * name it refuses) becomes a SERVFAIL answer, so the machine decides what
 * that means (temperror for SPF) in one place.
 */
#ifndef EMAUTH_DNS_DRIVE_H
#define EMAUTH_DNS_DRIVE_H

#include <emauth/dns.h>

typedef emauth_status (*ea_next_fn)(void *machine, const emauth_dns_question **q);
typedef emauth_status (*ea_answer_fn)(void *machine, const emauth_dns_answer *a);

/* Runs machine to the end over resolver; returns what next() returned last. */
emauth_status ea_drive(void *machine, ea_next_fn next, ea_answer_fn answer,
                       emauth_resolver *resolver);

#endif
