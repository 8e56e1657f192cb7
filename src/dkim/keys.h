/*
 * Private: what the signer needs of an emauth_dkim_key (keys.c), beyond
 * the public API in emauth/dkim.h.
 */
#ifndef EMAUTH_DKIM_KEYS_H
#define EMAUTH_DKIM_KEYS_H

#include <openssl/evp.h>

#include <emauth/dkim.h>

/* The OpenSSL key inside k, owned by k (EVP_PKEY_up_ref() to keep it longer). */
EVP_PKEY *ea_dkim_key_pkey(const emauth_dkim_key *k);

#endif
