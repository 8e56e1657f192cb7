/* Unit tests for tag=value lists (RFC 6376 §3.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/tagvalue.h"

#define MAXTAGS 16

/* "name=value|name=value" with each tag's column, as "name@col". */
static void render(const ea_tag *t, size_t n, ea_buf *vals, ea_buf *cols)
{
    for (size_t k = 0; k < n; k++) {
        if (k > 0) {
            assert_int_equal(ea_buf_putc(vals, '|'), 0);
            assert_int_equal(ea_buf_putc(cols, ' '), 0);
        }
        assert_int_equal(ea_buf_append(vals, t[k].name, t[k].name_len), 0);
        assert_int_equal(ea_buf_putc(vals, '='), 0);
        assert_int_equal(ea_buf_append(vals, t[k].value, t[k].value_len), 0);
        assert_int_equal(ea_buf_printf(cols, "%.*s@%u", (int)t[k].name_len, t[k].name,
                                       t[k].column), 0);
    }
}

static const struct valid_case {
    const char *in;
    const char *tags;    /* name=value|... */
    const char *cols;    /* name@column ... */
} valid_cases[] = {
    { "", "", "" },
    { "   ", "", "" },
    { " \r\n\t", "", "" },
    { "v=1", "v=1", "v@1" },
    { "v=1;", "v=1", "v@1" },
    { "v=1; a=rsa-sha256; d=example.com", "v=1|a=rsa-sha256|d=example.com", "v@1 a@6 d@20" },
    { " v = 1 ;\r\n\ta=b ; ", "v=1|a=b", "v@2 a@12" },
    { "a=;b=", "a=|b=", "a@1 b@4" },
    { "a= ; b =\r\n ;", "a=|b=", "a@1 b@6" },
    { "b=abc def\r\n ghi \t; c=x", "b=abc def\r\n ghi|c=x", "b@1 c@20" },
    { "h=from : to :\r\n subject", "h=from : to :\r\n subject", "h@1" },
    { "k=rsa; p=MIGfMA0G+/==", "k=rsa|p=MIGfMA0G+/==", "k@1 p@8" },
    { "x_y1=z;A=1;a=2", "x_y1=z|A=1|a=2", "x_y1@1 A@8 a@12" },
    { "n=a=b=c", "n=a=b=c", "n@1" },
    { "z=From:foo@example.com|To:bar", "z=From:foo@example.com|To:bar", "z@1" },
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
        const struct valid_case *c = &valid_cases[i];
        ea_tag tags[MAXTAGS];
        size_t n = 99;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = ea_tags_parse(c->in, strlen(c->in), tags, MAXTAGS, &n, &err);
        if (st != EMAUTH_OK)
            fail_msg("case %zu \"%s\": %s", i, c->in, err.message);
        ea_buf vals, cols;
        ea_buf_init(&vals);
        ea_buf_init(&cols);
        render(tags, n, &vals, &cols);
        assert_string_equal(ea_buf_cstr(&vals), c->tags);
        assert_string_equal(ea_buf_cstr(&cols), c->cols);
        ea_buf_free(&vals);
        ea_buf_free(&cols);
    }
}

#define NO_EQ "expected \"=\" after the tag name"

static const struct error_case {
    const char *in;
    size_t len;          /* 0: strlen(in) */
    size_t max;
    unsigned column;
    const char *message;
} error_cases[] = {
    { "v=1; a=\x7f", 0, MAXTAGS, 8,
      "tag \"a\" at column 8: value has a character not allowed (0x7f)" },
    { "v=1; b=abc d\xc3\xa9", 0, MAXTAGS, 13,
      "tag \"b\" at column 13: value has a character not allowed (0xc3)" },
    { "a=b\0c", 5, MAXTAGS, 4, "tag \"a\" at column 4: value has a character not allowed (0x00)" },
    { "a=b c\r\nd", 0, MAXTAGS, 6,
      "tag \"a\" at column 6: value has a character not allowed"
      " (a line break not followed by a blank)" },
    { "a=1\n b=2", 0, MAXTAGS, 4,
      "tag \"a\" at column 4: value has a character not allowed"
      " (a line break not followed by a blank)" },
    { "a=1; a=2", 0, MAXTAGS, 6, "tag \"a\" appears twice (columns 1 and 6)" },
    { "v=1; bh=x; d=y;\r\n bh=z", 0, MAXTAGS, 19, "tag \"bh\" appears twice (columns 6 and 19)" },
    { "a=1;;b=2", 0, MAXTAGS, 5, "column 5: empty tag (\";\" with no tag before it)" },
    { ";", 0, MAXTAGS, 1, "column 1: empty tag (\";\" with no tag before it)" },
    { " ; a=1", 0, MAXTAGS, 2, "column 2: empty tag (\";\" with no tag before it)" },
    { "1a=2", 0, MAXTAGS, 1, "column 1: a tag name must start with a letter (found 0x31)" },
    { "a=x;=y", 0, MAXTAGS, 5, "column 5: a tag name must start with a letter (found 0x3d)" },
    { "_a=1", 0, MAXTAGS, 1, "column 1: a tag name must start with a letter (found 0x5f)" },
    { "abc", 0, MAXTAGS, 4, "tag \"abc\" at column 4: " NO_EQ " (found the end)" },
    { "abc ;", 0, MAXTAGS, 5, "tag \"abc\" at column 5: " NO_EQ " (found 0x3b)" },
    { "a-b=1", 0, MAXTAGS, 2, "tag \"a\" at column 2: " NO_EQ " (found 0x2d)" },
    { "a b=1", 0, MAXTAGS, 3, "tag \"a\" at column 3: " NO_EQ " (found 0x62)" },
    { "a\r\nb=1", 0, MAXTAGS, 2,
      "tag \"a\" at column 2: " NO_EQ " (found a line break not followed by a blank)" },
    { "a=1;b=2;c=3", 0, 2, 9, "tag \"c\" at column 9: more than 2 tags" },
    { "a=1", 0, 0, 1, "tag \"a\" at column 1: more than 0 tags" },
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *c = &error_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        ea_tag tags[MAXTAGS];
        size_t n = 99;
        emauth_error err;
        emauth_error_clear(&err);
        emauth_status st = ea_tags_parse(c->in, len, c->max ? tags : NULL, c->max, &n, &err);
        if (st != EMAUTH_ERR_SYNTAX)
            fail_msg("case %zu: status %d, expected a syntax error", i, st);
        assert_int_equal(n, 0);     /* no partial result */
        assert_int_equal(err.status, EMAUTH_ERR_SYNTAX);
        assert_string_equal(err.message, c->message);
        assert_int_equal(err.column, c->column);
    }
}

static void test_max_exact(void **state)
{
    (void)state;
    ea_tag tags[2];
    size_t n = 0;
    assert_int_equal(ea_tags_parse("a=1;b=2;", 8, tags, 2, &n, NULL), EMAUTH_OK);
    assert_int_equal(n, 2);
    /* a NULL error object is fine on failure too */
    assert_int_equal(ea_tags_parse("a=1;a=2", 7, tags, 2, &n, NULL), EMAUTH_ERR_SYNTAX);
    assert_int_equal(n, 0);
}

/* Only len bytes are read: a list cut inside a tag is judged as cut. */
static void test_explicit_length(void **state)
{
    (void)state;
    const char *s = "a=12345; b=6";
    ea_tag tags[4];
    size_t n = 0;
    assert_int_equal(ea_tags_parse(s, 4, tags, 4, &n, NULL), EMAUTH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(tags[0].value_len, 2);
    assert_memory_equal(tags[0].value, "12", 2);
    emauth_error err;
    assert_int_equal(ea_tags_parse(s, 10, tags, 4, &n, &err), EMAUTH_ERR_SYNTAX);
    assert_string_equal(err.message,
                        "tag \"b\" at column 11: " NO_EQ " (found the end)");
}

static void test_find(void **state)
{
    (void)state;
    const char *s = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    ea_tag tags[8];
    size_t n = 0;
    assert_int_equal(ea_tags_parse(s, strlen(s), tags, 8, &n, NULL), EMAUTH_OK);
    assert_int_equal(n, 3);
    const ea_tag *k = ea_tags_find(tags, n, "k");
    assert_non_null(k);
    assert_int_equal(k->value_len, 7);
    assert_memory_equal(k->value, "ed25519", 7);
    assert_int_equal(k->column, 10);
    const ea_tag *p = ea_tags_find(tags, n, "p");
    assert_non_null(p);
    assert_int_equal(p->value_len, 44);
    assert_null(ea_tags_find(tags, n, "K"));      /* case-sensitive */
    assert_null(ea_tags_find(tags, n, "t"));
    assert_null(ea_tags_find(tags, n, ""));
    assert_null(ea_tags_find(tags, 0, "v"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_max_exact),
        cmocka_unit_test(test_explicit_length),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
