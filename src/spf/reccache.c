/* Parsed-record cache; see reccache.h. */
#include <stdlib.h>
#include <string.h>

#include "spf/reccache.h"

void ea_reccache_init(ea_reccache *c)
{
    memset(c, 0, sizeof *c);
    c->gen = 1;
}

static void entry_clear(ea_reccache_entry *e)
{
    free(e->text);
    free(e->terms);
    memset(e, 0, sizeof *e);
}

void ea_reccache_free(ea_reccache *c)
{
    if (c->slot == NULL)
        return;
    for (size_t i = 0; i < EA_RECCACHE_SLOTS; i++) {
        free(c->slot[i].text);
        free(c->slot[i].terms);
    }
    free(c->slot);
    c->slot = NULL;
}

void ea_reccache_next_gen(ea_reccache *c)
{
    /* gen is 2 at the first check; out of memory leaves the cache off. */
    if (++c->gen > 2 && c->slot == NULL)
        c->slot = calloc(EA_RECCACHE_SLOTS, sizeof *c->slot);
}

/* FNV-1a, 64 bits: records are short and this is cheap. */
static uint64_t hash_text(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ len;
}

const emauth_spf_record *ea_reccache_get(ea_reccache *c, const char *text, size_t len,
                                         uint64_t *hash)
{
    if (c->slot == NULL) {
        *hash = 0;
        return NULL;
    }
    *hash = hash_text(text, len);
    ea_reccache_entry *e = &c->slot[*hash & (EA_RECCACHE_SLOTS - 1)];
    if (e->text == NULL || e->hash != *hash || e->len != len || memcmp(e->text, text, len) != 0)
        return NULL;
    e->gen = c->gen;
    return &e->rec;
}

const emauth_spf_record *ea_reccache_put(ea_reccache *c, uint64_t hash,
                                         const emauth_spf_record *rec)
{
    if (c->slot == NULL)
        return NULL;
    ea_reccache_entry *e = &c->slot[hash & (EA_RECCACHE_SLOTS - 1)];
    if (e->gen == c->gen || rec->text_len > EA_RECCACHE_MAX_TEXT)
        return NULL;
    entry_clear(e);
    e->text = malloc(rec->text_len + 1);
    e->terms = malloc((rec->nterms ? rec->nterms : 1) * sizeof *e->terms);
    if (e->text == NULL || e->terms == NULL) {
        entry_clear(e);
        return NULL;
    }
    memcpy(e->text, rec->text, rec->text_len);
    e->text[rec->text_len] = '\0';
    /* rebase every pointer from the old text into the copy, by offset */
    for (size_t i = 0; i < rec->nterms; i++) {
        const emauth_spf_term *o = &rec->terms[i];
        emauth_spf_term *t = &e->terms[i];
        *t = *o;
        t->text = e->text + (o->text - rec->text);
        if (o->spec)
            t->spec = e->text + (o->spec - rec->text);
        if (o->name)
            t->name = e->text + (o->name - rec->text);
    }
    e->rec = *rec;
    e->rec.text = e->text;
    e->rec.terms = e->terms;
    e->rec.redirect = rec->redirect ? e->terms + (rec->redirect - rec->terms) : NULL;
    e->rec.exp = rec->exp ? e->terms + (rec->exp - rec->terms) : NULL;
    e->hash = hash;
    e->len = rec->text_len;
    e->gen = c->gen;
    return &e->rec;
}
