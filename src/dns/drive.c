/* The blocking loop shared by the sans-I/O machines; see drive.h. */
#include <string.h>

#include "dns/drive.h"

emauth_status ea_drive(void *machine, ea_next_fn next, ea_answer_fn answer,
                       emauth_resolver *resolver)
{
    if (resolver == NULL)
        return EMAUTH_ERR_INVALID;
    const emauth_dns_question *q;
    emauth_status st;
    while ((st = next(machine, &q)) == EMAUTH_NEED_DNS) {
        emauth_dns_answer a;
        st = resolver->query(resolver, q, &a);
        if (st != EMAUTH_OK) {
            memset(&a, 0, sizeof a);
            a.rcode = EMAUTH_DNS_SERVFAIL;
            a.why = emauth_status_str(st);
        }
        st = answer(machine, &a);
        if (st != EMAUTH_OK)
            return st;
    }
    return st;
}
