/* Test support: reading fields of the CLI's JSON lines. */
#ifndef EMAUTH_TEST_JSON_H
#define EMAUTH_TEST_JSON_H

/*
 * The string value of top-level "key" in a one-line JSON object, decoded
 * (\uXXXX to UTF-8), in a new malloc'd string; NULL when the value is
 * null, not a string, or absent.
 */
char *test_json_field(const char *line, const char *key);

#endif
