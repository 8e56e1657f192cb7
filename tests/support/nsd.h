/*
 * Test support: a real authoritative DNS server (NSD) on 127.0.0.1 at a
 * free port, serving master files the test writes, started as a child
 * process and stopped by its PID. Never touches anything but loopback.
 */
#ifndef EMAUTH_TEST_NSD_H
#define EMAUTH_TEST_NSD_H

#include <sys/types.h>

typedef struct test_nsd {
    pid_t pid;            /* 0 when not running */
    int port;
    char dir[256];        /* temporary directory with config, zones, log */
    char server[64];      /* "127.0.0.1:PORT" for --nameserver */
} test_nsd;

/* One zone to serve: its origin ("." allowed) and master-file text. A NULL
 * text configures the zone with a file that does not exist, so NSD answers
 * SERVFAIL for every name in it. */
typedef struct test_zone_spec {
    const char *origin;
    const char *text;
} test_zone_spec;

/* 1 when an nsd binary is available. */
int test_nsd_available(void);

/*
 * Writes the zones and a config into a new temporary directory, starts NSD
 * and waits until it answers (at most 10 s). Returns 0, or -1 with a
 * message on stderr (including NSD's log).
 */
int test_nsd_start(test_nsd *n, const test_zone_spec *zones, size_t nzones);

/* Stops NSD (SIGTERM, then SIGKILL after 3 s), reaps it, removes the directory. */
void test_nsd_stop(test_nsd *n);

/* A UDP socket on 127.0.0.1 that receives queries and never answers.
 * Returns the fd (close it to stop) and fills *port. */
int test_black_hole(int *port);

/* A free TCP+UDP port on 127.0.0.1, or -1. */
int test_free_port(void);

#endif
