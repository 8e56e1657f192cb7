/* Address ranges: emauth_cidr_make, _contains, _merge, _format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <emauth/ip.h>

static emauth_cidr cidr(const char *text)
{
    const char *slash = strchr(text, '/');
    emauth_ip ip;
    assert_int_equal(emauth_ip_parse(text, (size_t)(slash - text), &ip, NULL), EMAUTH_OK);
    return emauth_cidr_make(&ip, (unsigned)atoi(slash + 1));
}

static void assert_cidr(const emauth_cidr *c, const char *want)
{
    char buf[64];
    emauth_cidr_format(c, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_make_clears_host_bits(void **state)
{
    (void)state;
    emauth_cidr c = cidr("192.168.7.1/16");
    assert_cidr(&c, "192.168.0.0/16");
    c = cidr("192.0.2.77/27");
    assert_cidr(&c, "192.0.2.64/27");
    c = cidr("2001:db8:1234::1/33");
    assert_cidr(&c, "2001:db8::/33");
    c = cidr("192.0.2.1/40");   /* capped at 32 */
    assert_cidr(&c, "192.0.2.1/32");
    c = cidr("10.1.2.3/0");
    assert_cidr(&c, "0.0.0.0/0");
}

static void test_contains(void **state)
{
    (void)state;
    emauth_cidr a = cidr("10.0.0.0/8"), b = cidr("10.20.0.0/16"), c = cidr("11.0.0.0/16");
    emauth_cidr v6 = cidr("::/0");
    assert_true(emauth_cidr_contains(&a, &b));
    assert_false(emauth_cidr_contains(&b, &a));
    assert_false(emauth_cidr_contains(&a, &c));
    assert_true(emauth_cidr_contains(&a, &a));
    assert_false(emauth_cidr_contains(&v6, &a));   /* families never mix */
}

static void test_merge(void **state)
{
    (void)state;
    emauth_cidr v[] = {
        cidr("2001:db8::/33"),  cidr("192.0.2.128/25"), cidr("10.0.0.0/8"),
        cidr("192.0.2.0/25"),   cidr("10.9.9.0/24"),    cidr("2001:db8:8000::/33"),
        cidr("198.51.100.1/32"), cidr("198.51.100.3/32"), cidr("192.0.2.0/24"),
    };
    size_t n = emauth_cidr_merge(v, sizeof v / sizeof v[0]);
    static const char *const want[] = {"10.0.0.0/8", "192.0.2.0/24", "198.51.100.1/32",
                                       "198.51.100.3/32", "2001:db8::/32"};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        assert_cidr(&v[i], want[i]);
    /* halves merge repeatedly: four /26 are one /24 */
    emauth_cidr q[] = {cidr("203.0.113.192/26"), cidr("203.0.113.0/26"),
                       cidr("203.0.113.128/26"), cidr("203.0.113.64/26")};
    assert_int_equal(emauth_cidr_merge(q, 4), 1);
    assert_cidr(&q[0], "203.0.113.0/24");
    /* neighbours that are not halves of one range stay apart */
    emauth_cidr r[] = {cidr("203.0.113.64/26"), cidr("203.0.113.128/26")};
    assert_int_equal(emauth_cidr_merge(r, 2), 2);
    assert_int_equal(emauth_cidr_merge(r, 0), 0);
}

static void test_format_truncates(void **state)
{
    (void)state;
    emauth_cidr c = cidr("198.51.100.0/24");
    char small[8];
    assert_int_equal(emauth_cidr_format(&c, small, sizeof small), strlen("198.51.100.0/24"));
    assert_string_equal(small, "198.51.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_clears_host_bits), cmocka_unit_test(test_contains),
        cmocka_unit_test(test_merge),                 cmocka_unit_test(test_format_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
