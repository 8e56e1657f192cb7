/*
 * The RFC 5322.From author address (emauth_from_extract): valid forms with
 * the exact address and domain, and every refusal with its message. The
 * OpenDMARC#243 shapes (an address inside a quoted display name, a comment
 * or an encoded word) must give the real address or an error, never the
 * decoy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <emauth/message.h>

typedef struct from_case {
    const char *value;       /* one From field body */
    const char *address;     /* expected, or NULL for an error */
    const char *domain;
    const char *error;       /* a substring of the message */
    unsigned column;         /* expected err.column, 0 = not checked */
} from_case;

static const from_case cases[] = {
    /* Plain forms. */
    {"user@example.com", "user@example.com", "example.com", NULL, 0},
    {" user@example.com ", "user@example.com", "example.com", NULL, 0},
    {"<user@example.com>", "user@example.com", "example.com", NULL, 0},
    {"Joe User <user@example.com>", "user@example.com", "example.com", NULL, 0},
    {"\"Joe Q. User\" <user@Example.COM>", "user@Example.COM", "example.com", NULL, 0},
    {"Joe Q. User <user@example.com>", "user@example.com", "example.com", NULL, 0},
    {"user@EXAMPLE.com.", "user@EXAMPLE.com", "example.com", NULL, 0},
    {"<user@example.com.>", "user@example.com", "example.com", NULL, 0},
    {"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk",
     "sub.example.co.uk", NULL, 0},
    {"user@xn--bcher-kva.example", "user@xn--bcher-kva.example", "xn--bcher-kva.example", NULL, 0},
    {"User <user@XN--BCHER-KVA.Example>", "user@XN--BCHER-KVA.Example", "xn--bcher-kva.example",
     NULL, 0},
    /* Comments and folding anywhere. */
    {"user@example.com (Joe User)", "user@example.com", "example.com", NULL, 0},
    {"(comment (nested (twice))) user@example.com", "user@example.com", "example.com", NULL, 0},
    {"Joe (the <boss@evil.example>) <user@example.com>", "user@example.com", "example.com", NULL,
     0},
    {"(admin@evil.example) user@example.com", "user@example.com", "example.com", NULL, 0},
    {"user@example.com (<admin@evil.example>)", "user@example.com", "example.com", NULL, 0},
    {"Joe User\r\n <user@example.com>", "user@example.com", "example.com", NULL, 0},
    {"Joe User <user\r\n\t@\r\n example.com>", "user@example.com", "example.com", NULL, 0},
    {"user (c) . (c) name @ (c) example (c) . com", "user.name@example.com", "example.com", NULL,
     0},
    {"\"Joe\\\" <a@b.example>\" <user@example.com>", "user@example.com", "example.com", NULL, 0},
    /* OpenDMARC#243 and relatives: the real address, never the decoy. */
    {"\"attacker@evil.example <x@good.example>\" <real@bad.example>", "real@bad.example",
     "bad.example", NULL, 0},
    {"\"<x@good.example>\" <real@bad.example>", "real@bad.example", "bad.example", NULL, 0},
    {"\"x@good.example\"@bad.example", "\"x@good.example\"@bad.example", "bad.example", NULL, 0},
    {"\"x@good.example\" <real@bad.example>", "real@bad.example", "bad.example", NULL, 0},
    {"(x@good.example) <real@bad.example> (<y@good.example>)", "real@bad.example", "bad.example",
     NULL, 0},
    {"attacker@evil.example <x@good.example>", NULL, NULL, "unexpected text after the address", 23},
    {"x@good.example <real@bad.example>", NULL, NULL, "unexpected text after the address", 16},
    /* Encoded words are atoms: never decoded into address syntax. */
    {"=?utf-8?q?J=C3=B6rg?= <user@example.com>", "user@example.com", "example.com", NULL, 0},
    {"=?utf-8?b?PGV2aWxAZ29vZC5leGFtcGxlPg==?= <real@bad.example>", "real@bad.example",
     "bad.example", NULL, 0},
    {"\"=?utf-8?q?x@good.example?=\" <real@bad.example>", "real@bad.example", "bad.example", NULL,
     0},
    {"=?utf-8?q?x@good.example?= <real@bad.example>", NULL, NULL, "not a host name", 0},
    {"J\xc3\xb6rg <user@example.com>", "user@example.com", "example.com", NULL, 0},
    /* Quoted and obsolete local parts, obs-route. */
    {"\"john smith\"@example.com", "\"john smith\"@example.com", "example.com", NULL, 0},
    {"\"a@b\" <\"c@d\"@example.com>", "\"c@d\"@example.com", "example.com", NULL, 0},
    {"\"quoted\\\"pair\"@example.com", "\"quoted\\\"pair\"@example.com", "example.com", NULL, 0},
    {"john.\"q\".public@example.com", "john.\"q\".public@example.com", "example.com", NULL, 0},
    {"<@route.example,@other.example:user@example.com>", "user@example.com", "example.com", NULL,
     0},
    {", user@example.com ,", "user@example.com", "example.com", NULL, 0},
    /* Errors. */
    {"", NULL, NULL, "an empty From field", 1},
    {"   \r\n\t  ", NULL, NULL, "an empty From field", 0},
    {"(only a comment)", NULL, NULL, "an empty From field", 0},
    {"Joe User", NULL, NULL, "has no '@'", 1},
    {"user", NULL, NULL, "has no '@'", 0},
    {"<user>", NULL, NULL, "has no '@'", 0},
    {"user@", NULL, NULL, "no domain after '@'", 5},
    {"<user@>", NULL, NULL, "no domain after '@'", 0},
    {"@example.com", NULL, NULL, "no local part", 1},
    {"<>", NULL, NULL, "an empty address <>", 1},
    {"user@[192.0.2.1]", NULL, NULL, "a domain literal", 6},
    {"Friends: a@example.com, b@example.com;", NULL, NULL, "a group, not one mailbox", 1},
    {"undisclosed-recipients:;", NULL, NULL, "a group, not one mailbox", 0},
    {"a@example.com, b@example.com", NULL, NULL, "several mailboxes", 16},
    {"a@example.com, Bob <b@example.com>", NULL, NULL, "several mailboxes", 0},
    {"<a@example.com> <b@example.com>", NULL, NULL, "unexpected text after", 17},
    {"<a@example.com>, <b@example.com>", NULL, NULL, "several mailboxes", 18},
    {"\"unterminated <a@example.com>", NULL, NULL, "an unterminated quoted string", 1},
    {"(unterminated a@example.com", NULL, NULL, "an unterminated comment", 1},
    {"a@example.com)", NULL, NULL, "')' without '('", 14},
    {"<a@example.com", NULL, NULL, "'<' without '>'", 1},
    {"a..b@example.com", NULL, NULL, "malformed local part", 0},
    {"a.@example.com", NULL, NULL, "malformed local part", 0},
    {"john smith@example.com", NULL, NULL, "malformed local part", 0},
    {"a@example..com", NULL, NULL, "empty domain label", 0},
    {"a@exa!mple.com", NULL, NULL, "not a host name", 0},
    {"a@\"example.com\"", NULL, NULL, "a quoted domain", 0},
    {"a@b\xc3\xbc" "cher.example", NULL, NULL, "non-ASCII domain", 0},
    {"a@example.com\r\nBcc: x@y.example", NULL, NULL, "line break that is not folding", 14},
    {"a@exa\x01mple.com", NULL, NULL, "control byte 0x01", 6},
    {"a@example.com\n", NULL, NULL, "line break that is not folding", 0},
    {"a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", NULL, NULL,
     "label longer than 63", 0},
    {"(((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))))) a@b.example", NULL,
     NULL, "nested too deep", 0},
    {"Joe \\ <a@example.com>", NULL, NULL, "backslash", 5},
};

static void test_cases(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const from_case *c = &cases[i];
        const char *values[1] = {c->value};
        size_t lens[1] = {strlen(c->value)};
        emauth_from f;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = emauth_from_extract(values, lens, 1, &f, &err);
        int ok;
        if (c->address != NULL) {
            ok = st == EMAUTH_OK && strcmp(f.address, c->address) == 0 &&
                 strcmp(f.domain, c->domain) == 0;
            if (!ok)
                print_message("row %zu [%s]: status %d (%s), address [%s] domain [%s]\n", i,
                              c->value, st, err.message, st == EMAUTH_OK ? f.address : "",
                              st == EMAUTH_OK ? f.domain : "");
        } else {
            ok = st == EMAUTH_ERR_SYNTAX && strstr(err.message, c->error) != NULL &&
                 (c->column == 0 || err.column == c->column) && f.address == NULL &&
                 f.domain == NULL;
            if (!ok)
                print_message("row %zu [%s]: status %d, message [%s] column %u, want [%s] %u\n",
                              i, c->value, st, err.message, err.column, c->error, c->column);
        }
        if (!ok)
            failures++;
        emauth_from_free(&f);
    }
    assert_int_equal(failures, 0);
}

static void test_field_count(void **state)
{
    (void)state;
    emauth_from f;
    emauth_error err;
    const char *values[3] = {"a@example.com", "b@example.com", "c@example.com"};
    size_t lens[3] = {13, 13, 13};

    assert_int_equal(emauth_from_extract(values, lens, 0, &f, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "From: no From field");
    assert_null(f.address);
    assert_int_equal(emauth_from_extract(values, lens, 2, &f, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "From: 2 From fields");
    assert_int_equal(emauth_from_extract(values, lens, 3, &f, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message, "From: 3 From fields");
    assert_int_equal(emauth_from_extract(values, lens, 1, &f, &err), EMAUTH_OK);
    assert_string_equal(f.address, "a@example.com");
    emauth_from_free(&f);
    assert_null(f.address);
}

/* Lengths are explicit: bytes after len are never read, NULs inside are errors. */
static void test_lengths(void **state)
{
    (void)state;
    emauth_from f;
    emauth_error err;
    const char *v1[1] = {"a@example.com, b@evil.example"};
    size_t l1[1] = {13};
    assert_int_equal(emauth_from_extract(v1, l1, 1, &f, &err), EMAUTH_OK);
    assert_string_equal(f.address, "a@example.com");
    emauth_from_free(&f);

    /* An exact-size heap copy: valgrind catches a read past the end. */
    static const char text[] = "\"Joe\" <a@example.com.>";
    char *exact = malloc(sizeof text - 1);
    assert_non_null(exact);
    memcpy(exact, text, sizeof text - 1);
    const char *v2[1] = {exact};
    size_t l2[1] = {sizeof text - 1};
    assert_int_equal(emauth_from_extract(v2, l2, 1, &f, &err), EMAUTH_OK);
    assert_string_equal(f.domain, "example.com");
    emauth_from_free(&f);
    for (size_t cut = 0; cut < sizeof text - 1; cut++) {
        l2[0] = cut;   /* every prefix: a clean answer or a clean error */
        emauth_status st = emauth_from_extract(v2, l2, 1, &f, &err);
        assert_true(st == EMAUTH_OK || st == EMAUTH_ERR_SYNTAX);
        emauth_from_free(&f);
    }
    free(exact);

    const char v3s[] = "a@exa\0mple.com";
    const char *v3[1] = {v3s};
    size_t l3[1] = {sizeof v3s - 1};
    assert_int_equal(emauth_from_extract(v3, l3, 1, &f, &err), EMAUTH_ERR_SYNTAX);
    assert_non_null(strstr(err.message, "control byte 0x00"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_field_count),
        cmocka_unit_test(test_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
