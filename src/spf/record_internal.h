/* Private SPF record parsing into an arena, shared by the parser API and the evaluator. */
#ifndef EMAUTH_SPF_RECORD_INTERNAL_H
#define EMAUTH_SPF_RECORD_INTERNAL_H

#include <emauth/spf.h>
#include "util/arena.h"

/*
 * Parses text[0..len) (which must stay valid and unchanged while rec is
 * used) into rec, allocating the term array from arena. Errors as
 * emauth_spf_record_parse().
 */
emauth_status ea_spf_parse(ea_arena *arena, const char *text, size_t len,
                           emauth_spf_record *rec, emauth_error *err);

#endif
