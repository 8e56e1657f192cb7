/* Unit tests for the small shared pieces: errors, arena, buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/error.h>
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

static void test_status_str(void **state)
{
    (void)state;
    assert_string_equal(emauth_status_str(EMAUTH_OK), "ok");
    assert_string_equal(emauth_status_str(EMAUTH_ERR_SYNTAX), "syntax error");
    assert_string_equal(emauth_status_str(EMAUTH_ERR_NOMEM), "out of memory");
    assert_string_equal(emauth_status_str((emauth_status)-99), "unknown status");
}

static void test_error_set_and_clear(void **state)
{
    (void)state;
    emauth_error err;
    assert_int_equal(ea_error(&err, EMAUTH_ERR_SYNTAX, 3, 7, "bad %s", "thing"),
                     EMAUTH_ERR_SYNTAX);
    assert_int_equal(err.status, EMAUTH_ERR_SYNTAX);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 7);
    assert_string_equal(err.message, "bad thing");
    emauth_error_clear(&err);
    assert_int_equal(err.status, EMAUTH_OK);
    assert_string_equal(err.message, "");
    /* a NULL error object is allowed everywhere */
    assert_int_equal(ea_error(NULL, EMAUTH_ERR_IO, 0, 0, "x"), EMAUTH_ERR_IO);
    emauth_error_clear(NULL);
}

static void test_error_truncates(void **state)
{
    (void)state;
    emauth_error err;
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ea_error(&err, EMAUTH_ERR_SYNTAX, 0, 0, "%s", big);
    assert_int_equal(strlen(err.message), EMAUTH_ERROR_MAX - 1);
}

static void test_quote(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(ea_quote(buf, sizeof buf, "a\x01\xff" "b", 4, 100), "a\\x01\\xffb");
    assert_string_equal(ea_quote(buf, sizeof buf, "abcdef", 6, 3), "abc...");
    /* never past the buffer, whatever the input */
    char small[8];
    ea_quote(small, sizeof small, "\x01\x02\x03\x04\x05", 5, 100);
    assert_true(strlen(small) < sizeof small);
    /* embedded NUL is shown, not a terminator */
    assert_string_equal(ea_quote(buf, sizeof buf, "a\0b", 3, 100), "a\\x00b");
}

static void test_arena(void **state)
{
    (void)state;
    ea_arena a;
    ea_arena_init(&a);
    char *s = ea_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_int_equal((uintptr_t)s % 16, 0);
    /* many allocations across blocks keep their contents */
    char *ptrs[200];
    for (int i = 0; i < 200; i++) {
        ptrs[i] = ea_arena_alloc(&a, 100);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i, 100);
    }
    for (int i = 0; i < 200; i++)
        assert_int_equal((unsigned char)ptrs[i][99], i);
    void *huge = ea_arena_alloc(&a, 1 << 20);
    assert_non_null(huge);
    assert_null(ea_arena_alloc(&a, SIZE_MAX - 4));
    ea_arena_reset(&a);
    assert_non_null(ea_arena_alloc(&a, 10));
    ea_arena_free(&a);
    ea_arena_free(&a);   /* freeing twice is harmless */
}

static void test_buf(void **state)
{
    (void)state;
    ea_buf b;
    ea_buf_init(&b);
    assert_string_equal(ea_buf_cstr(&b), "");
    assert_int_equal(ea_buf_puts(&b, "abc"), 0);
    assert_int_equal(ea_buf_putc(&b, '-'), 0);
    assert_int_equal(ea_buf_printf(&b, "%d/%s", 42, "x"), 0);
    assert_int_equal(ea_buf_append(&b, "\0z", 2), 0);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "abc-42/x\0z", 10);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(ea_buf_puts(&b, "0123456789"), 0);
    assert_int_equal(b.len, 10010);
    assert_int_equal(ea_buf_reserve(&b, SIZE_MAX), -1);
    assert_int_equal(b.len, 10010);   /* a failed append leaves it intact */
    ea_buf_free(&b);
    assert_null(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_str), cmocka_unit_test(test_error_set_and_clear),
        cmocka_unit_test(test_error_truncates), cmocka_unit_test(test_quote),
        cmocka_unit_test(test_arena), cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
