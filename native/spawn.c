/*
 * orchestrator-spawn: starts local stage commands for one orchestrator process, as `make` does:
 * vfork + exec of `sh -c CMD`, nothing else. The shell runner (src/exec/local/shell-runner.ts) does
 * the same job in portable sh, but each of its jobs costs two forks of the shell more; on a machine
 * where starting a process is the whole cost of a trivial stage, that is a third of it.
 *
 * Protocol (stdin): one record per job, fields terminated by NUL:
 *     ID  DIR  LOG  N  NAME=VALUE (N times)  CMD
 * The job runs `sh -c CMD` in DIR, stdin from /dev/null, stdout and stderr appended to LOG (created
 * if missing), with this process's environment plus the N variables (which win). It shares this
 * process's process group (the orchestrator starts this one as a group leader).
 * Protocol (stdout): "D ID STATUS\n" when job ID ends, STATUS as the shell's `$?`: the exit code, or
 * 128+N when signal N killed it. A job that cannot be started ends with status 127 and a message
 * in its log (or on stderr when the log itself cannot be opened).
 * When stdin closes (the orchestrator exited or died), or stdout breaks: SIGTERM to the whole
 * process group, which holds every job still running, then exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct job {
  pid_t pid;
  unsigned long id;
};

static struct job *jobs;
static size_t njobs, capjobs;
static int wake[2]; /* self-pipe: SIGCHLD arrived */
static char *in;    /* unconsumed input */
static size_t inlen, incap;

static void die_with_jobs(int status) {
  signal(SIGTERM, SIG_IGN);
  /* Only as a group leader: otherwise the group is someone else's (whoever started us). */
  if (getpgrp() == getpid()) kill(0, SIGTERM);
  _exit(status);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return p;
  size_t n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  void *q = realloc(p, n * size);
  if (!q) {
    fputs("orchestrator-spawn: out of memory\n", stderr);
    die_with_jobs(70);
  }
  *cap = n;
  return q;
}

static void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die_with_jobs(0); /* the orchestrator is gone */
    s += w;
    n -= (size_t)w;
  }
}

static void report(unsigned long id, int status) {
  char line[64];
  int n = snprintf(line, sizeof line, "D %lu %d\n", id, status);
  write_all(1, line, (size_t)n);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  (void)!write(wake[1], "", 1);
  errno = saved;
}

static void reap(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    for (size_t i = 0; i < njobs; i++) {
      if (jobs[i].pid != pid) continue;
      report(jobs[i].id, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
      jobs[i] = jobs[--njobs];
      break;
    }
  }
}

/* Why a job could not start goes where its output would have gone. */
static void start_failed(unsigned long id, const char *dir, const char *log, int err) {
  int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  char msg[4096];
  if (fd >= 0) {
    int n = snprintf(msg, sizeof msg, "orchestrator: cannot run the command in %s: %s\n", dir, strerror(err));
    if (n > 0) (void)!write(fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    close(fd);
  } else {
    fprintf(stderr, "cannot open log %s: %s\n", log, strerror(errno));
  }
  report(id, 127);
}

static void start(unsigned long id, const char *dir, const char *log, char **vars, size_t nvars, const char *cmd) {
  static char **envp;
  static size_t capenv;
  size_t k = 0;
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
    int overridden = 0;
    for (size_t i = 0; i < nvars && !overridden; i++) overridden = strncmp(vars[i], *e, len) == 0 && vars[i][len] == '=';
    if (overridden) continue;
    envp = grow(envp, &capenv, k + 1, sizeof *envp);
    envp[k++] = *e;
  }
  envp = grow(envp, &capenv, k + nvars + 1, sizeof *envp);
  for (size_t i = 0; i < nvars; i++) envp[k++] = vars[i];
  envp[k] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0666);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addchdir_np(&fa, dir);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *argv[] = {"sh", "-c", (char *)cmd, NULL};
  pid_t pid;
  int err = posix_spawnp(&pid, "sh", &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (err) {
    start_failed(id, dir, log, err);
    return;
  }
  jobs = grow(jobs, &capjobs, njobs + 1, sizeof *jobs);
  jobs[njobs].pid = pid;
  jobs[njobs].id = id;
  njobs++;
}

/* Next NUL-terminated field at *pos, or NULL when the record is not complete yet. */
static char *field(size_t *pos) {
  char *z = memchr(in + *pos, 0, inlen - *pos);
  if (!z) return NULL;
  char *f = in + *pos;
  *pos = (size_t)(z - in) + 1;
  return f;
}

/* Starts the job at in[*pos], or returns 0 when its record is incomplete. */
static int take_record(size_t *pos) {
  static char **vars;
  static size_t capvars;
  size_t p = *pos;
  char *id = field(&p), *dir = id ? field(&p) : NULL, *log = dir ? field(&p) : NULL, *n = log ? field(&p) : NULL;
  if (!n) return 0;
  size_t nvars = strtoul(n, NULL, 10);
  vars = grow(vars, &capvars, nvars + 1, sizeof *vars);
  for (size_t i = 0; i < nvars; i++)
    if (!(vars[i] = field(&p))) return 0;
  char *cmd = field(&p);
  if (!cmd) return 0;
  start(strtoul(id, NULL, 10), dir, log, vars, nvars, cmd);
  *pos = p;
  return 1;
}

int main(void) {
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return 71;
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  for (;;) {
    struct pollfd fds[2] = {{0, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die_with_jobs(71);
    }
    if (fds[1].revents) {
      char drain[64];
      while (read(wake[0], drain, sizeof drain) > 0) {
      }
      reap();
    }
    if (fds[0].revents) {
      in = grow(in, &incap, inlen + 65536, 1);
      ssize_t got = read(0, in + inlen, incap - inlen);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) die_with_jobs(0);
      inlen += (size_t)got;
      size_t pos = 0;
      while (pos < inlen && take_record(&pos)) {
      }
      memmove(in, in + pos, inlen - pos);
      inlen -= pos;
    }
  }
}
