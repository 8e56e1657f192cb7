/* emauth/emauth.h - the whole public API of libemauth. */
#ifndef EMAUTH_EMAUTH_H
#define EMAUTH_EMAUTH_H

#include <emauth/error.h>
#include <emauth/ip.h>
#include <emauth/dns.h>
#include <emauth/spf.h>
#include <emauth/spf_lint.h>
#include <emauth/spf_edit.h>
#include <emauth/async.h>
#include <emauth/message.h>
#include <emauth/dkim.h>
#include <emauth/dmarc.h>
#include <emauth/authres.h>

#define EMAUTH_VERSION "0.1.0"

#endif
