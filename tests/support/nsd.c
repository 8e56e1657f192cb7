/* Test support: NSD on loopback; see nsd.h. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsd.h"

static const char *nsd_path(void)
{
    static const char *const paths[] = {"/usr/sbin/nsd", "/usr/local/sbin/nsd"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

int test_nsd_available(void)
{
    return nsd_path() != NULL;
}

static int bind_loopback(int type, int port)
{
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int port_of(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    return ntohs(sa.sin_port);
}

int test_free_port(void)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int u = bind_loopback(SOCK_DGRAM, 0);
        if (u < 0)
            return -1;
        int port = port_of(u);
        int t = bind_loopback(SOCK_STREAM, port);
        close(u);
        if (t >= 0) {
            close(t);
            return port;
        }
    }
    return -1;
}

int test_black_hole(int *port)
{
    int fd = bind_loopback(SOCK_DGRAM, 0);
    if (fd >= 0)
        *port = port_of(fd);
    return fd;
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int write_config(const test_nsd *n, const test_zone_spec *zones, size_t nzones)
{
    char path[512];
    snprintf(path, sizeof path, "%s/nsd.conf", n->dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "server:\n"
            "  ip-address: 127.0.0.1@%d\n  port: %d\n  do-ip6: no\n"
            "  username: \"\"\n  chroot: \"\"\n  database: \"\"\n"
            "  zonesdir: \"%s\"\n  pidfile: \"%s/nsd.pid\"\n  xfrdfile: \"%s/xfrd.state\"\n"
            "  zonelistfile: \"%s/zone.list\"\n  xfrdir: \"%s\"\n  logfile: \"%s/nsd.log\"\n"
            "  server-count: 1\n  tcp-count: 128\n  verbosity: 1\n  hide-version: yes\n"
            "  round-robin: no\n  minimal-responses: no\n"
            "  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\n"
            "remote-control:\n  control-enable: no\n",
            n->port, n->port, n->dir, n->dir, n->dir, n->dir, n->dir, n->dir);
    for (size_t i = 0; i < nzones; i++)
        fprintf(f, "zone:\n  name: \"%s\"\n  zonefile: \"zone%zu.db\"\n", zones[i].origin, i);
    return fclose(f);
}

/* A minimal query for the SOA of the first zone: does NSD answer yet? */
static int answers(const test_nsd *n, const char *origin)
{
    unsigned char q[300] = {0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t len = 12;
    for (const char *p = origin; *p && strcmp(p, ".") != 0;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (len + l + 2 > sizeof q - 5)
            return 0;
        q[len++] = (unsigned char)l;
        memcpy(q + len, p, l);
        len += l;
        p += l + (dot != NULL);
    }
    q[len++] = 0;
    q[len++] = 0;
    q[len++] = 6;   /* SOA */
    q[len++] = 0;
    q[len++] = 1;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)n->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    if (sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)len) {
        struct pollfd p = {fd, POLLIN, 0};
        unsigned char buf[512];
        ok = poll(&p, 1, 200) == 1 && recv(fd, buf, sizeof buf, 0) >= 12;
    }
    close(fd);
    return ok;
}

static void dump_log(const test_nsd *n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/nsd.log", n->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  nsd: %s", line);
    fclose(f);
}

static pid_t spawn(const test_nsd *n)
{
    char conf[512];
    snprintf(conf, sizeof conf, "%s/nsd.conf", n->dir);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* if the test dies, NSD goes with it */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int null = open("/dev/null", 0);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
    }
    execl(nsd_path(), "nsd", "-d", "-c", conf, (char *)NULL);
    _exit(127);
}

int test_nsd_start(test_nsd *n, const test_zone_spec *zones, size_t nzones)
{
    memset(n, 0, sizeof *n);
    if (nsd_path() == NULL) {
        fprintf(stderr, "nsd is not installed (Debian package nsd)\n");
        return -1;
    }
    snprintf(n->dir, sizeof n->dir, "/tmp/emauth-nsd-XXXXXX");
    if (mkdtemp(n->dir) == NULL || (n->port = test_free_port()) < 0)
        return -1;
    snprintf(n->server, sizeof n->server, "127.0.0.1:%d", n->port);
    for (size_t i = 0; i < nzones; i++) {
        char name[32];
        snprintf(name, sizeof name, "zone%zu.db", i);
        if (zones[i].text != NULL && write_file(n->dir, name, zones[i].text) != 0)
            return -1;
    }
    if (write_config(n, zones, nzones) != 0)
        return -1;
    n->pid = spawn(n);
    if (n->pid < 0) {
        n->pid = 0;
        return -1;
    }
    for (int i = 0; i < 100; i++) {
        int status;
        if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
            fprintf(stderr, "nsd exited at start (status %d)\n", status);
            n->pid = 0;
            dump_log(n);
            return -1;
        }
        if (answers(n, zones[0].origin))
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "nsd did not answer on %s within 10 s\n", n->server);
    dump_log(n);
    test_nsd_stop(n);
    return -1;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[768];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void test_nsd_stop(test_nsd *n)
{
    if (n->pid > 0) {
        kill(n->pid, SIGTERM);
        int status;
        for (int i = 0; i < 30; i++) {
            if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
                n->pid = 0;
                break;
            }
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (n->pid > 0) {
            kill(n->pid, SIGKILL);
            waitpid(n->pid, &status, 0);
            n->pid = 0;
        }
    }
    if (n->dir[0])
        remove_dir(n->dir);
    n->dir[0] = '\0';
}
