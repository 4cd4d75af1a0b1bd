// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test runner of the core program (xen-events-core-test): the real core,
 * the real backends, the model.
 *
 *   xen-events-core-test [-s SEED] [-t SUBSTRING] [-l] [-v] [-r RESULTS] [-T SECONDS]
 *
 * The same options and output as xen-events-test: every test in a child
 * process of its own ("ok N - name" / "not ok N - name # why", then
 * "N passed, N failed"; -r appends "ok host NAME" lines).  Test names are
 * core/ABI/test.  The tests are #included (tests/core.c).
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coreh.h"

#include <xen/interface/physdev.h>

/* The TSan build names its tests tsan/core/... (see the Makefile). */
#ifndef CH_NAME_PREFIX
#define CH_NAME_PREFIX ""
#endif

#ifdef CH_TSAN
/*
 * Two races TSan finds in the core are known and suppressed here (README,
 * Known issues): two CPUs in evtchn_handle_port() for one binding at
 * once, updating nr_events, when a late EOI of a replayed event released
 * the XEVT_ACTIVE guard another CPU had taken (reported in that
 * function); and the plain reads of the global evtchn_ops (the upcall,
 * the mask helpers) racing with the run-time switch's WRITE_ONCE()
 * (reported on the variable).  Delete a line to see it.
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "race_top:evtchn_handle_port\n"
	       "race:evtchn_ops\n"
	       /*
		* The model's own state (it switches ABI under its locks
		* while other threads inspect ports): not what is under test.
		*/
	       "race_top:tools/testing/xen-events/model.c\n";
}
#endif

/* The ABI the current test runs on. */
static enum ch_abi test_abi;

struct ch_test {
	const char *name;
	bool (*fn)(void);
	unsigned int timeout;	/* seconds; 0: the default */
};

#define CORE_TEST(fn)		{ #fn, test_##fn, 0 }
#define CORE_TEST_T(fn, t)	{ #fn, test_##fn, t }

#include "tests/core.c"	/* its tests[] */

static unsigned int default_timeout = 60;

static u64 name_hash(const char *s)
{
	u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The first line of the child's output that says why it failed. */
static void why_from(const char *buf, int status, unsigned int timeout,
		     char *why, size_t len)
{
	static const char *const marks[] = {
		"HX-FAIL: ", "ERROR: AddressSanitizer: ",
		"ERROR: LeakSanitizer: ", "WARNING: ThreadSanitizer: ",
		"runtime error: ", "kernel BUG at ", "Kernel panic", NULL
	};
	unsigned int i;

	why[0] = 0;
	for (i = 0; buf && marks[i]; i++) {
		const char *m = strstr(buf, marks[i]);

		if (m) {
			size_t l = strcspn(m, "\n");

			if (!strncmp(m, "HX-FAIL: ", 9)) {
				m += 9;
				l -= 9;
			}
			snprintf(why, len, "%.*s", (int)min(l, (size_t)300), m);
			return;
		}
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, len, "timeout after %us", timeout);
	else if (WIFSIGNALED(status))
		snprintf(why, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(why, len, "exit status %d", WEXITSTATUS(status));
}

static bool run_one(const struct ch_test *t, const char *name, enum ch_abi abi,
		    u64 seed, char *why, size_t why_len, char **out)
{
	unsigned int timeout = t->timeout ? t->timeout : default_timeout;
	size_t cap = 1 << 16, len = 0;
	int pipefd[2], status;
	char *buf;
	pid_t pid;

	if (pipe(pipefd)) {
		snprintf(why, why_len, "runner: no pipe");
		return false;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "runner: fork failed");
		return false;
	}
	if (!pid) {
		bool ok;

		close(pipefd[0]);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[1]);
		setvbuf(stdout, NULL, _IONBF, 0);
		ch_seed = seed;
		test_abi = abi;
		alarm(timeout);
		fprintf(stderr, "# %s seed %llu\n", name, (unsigned long long)seed);
		ok = t->fn();
		if (!ch_finish())
			ok = false;
		exit(ok ? 0 : 1);
	}
	close(pipefd[1]);
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(pipefd[0], buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	if (buf)
		buf[len] = 0;
	*out = buf;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	why_from(buf, status, timeout, why, why_len);
	return false;
}

static void print_tail(const char *out, unsigned int lines)
{
	const char *p = out + strlen(out);
	unsigned int n = 0;

	while (p > out && n <= lines) {
		p--;
		if (*p == '\n')
			n++;
	}
	if (p != out)
		p++;
	while (*p) {
		size_t l = strcspn(p, "\n");

		printf("#   %.*s\n", (int)l, p);
		p += l + (p[l] == '\n');
	}
}

int main(int argc, char **argv)
{
	const char *filter = NULL, *results = NULL;
	unsigned int i, abi, n = 0, passed = 0, failed = 0;
	bool list = false, seeded = false;
	FILE *rf = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "s:t:lvr:T:h")) != -1) {
		switch (opt) {
		case 's':
			ch_seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 't':
			filter = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'v':
			ch_verbose = true;
			break;
		case 'r':
			results = optarg;
			break;
		case 'T':
			default_timeout = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-s SEED] [-t SUBSTRING] [-l] [-v] [-r RESULTS] [-T SECONDS]\n",
				argv[0]);
			return 2;
		}
	}
	if (!seeded)
		ch_seed = (u64)time(NULL) ^ ((u64)getpid() << 20);
	if (results) {
		rf = fopen(results, "a");
		if (!rf) {
			perror(results);
			return 2;
		}
	}
	if (!list) {
		printf("# xen-events core harness (the real core), %sseed %llu (rerun: -s %llu)\n",
		       CH_NAME_PREFIX, (unsigned long long)ch_seed,
		       (unsigned long long)ch_seed);
		for (abi = 0; abi < CH_NR_ABIS; abi++)
			printf("# backend %s: %s\n", ch_abi_name[abi],
			       ch_abi_built(abi) ? "built" : "not built");
	}
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		for (abi = 0; abi < CH_NR_ABIS; abi++) {
			const struct ch_test *t = &tests[i];
			char name[160], why[400];
			struct timespec t0, t1;
			char *out = NULL;
			bool ok;

			if (!ch_abi_built(abi))
				continue;
			snprintf(name, sizeof(name), CH_NAME_PREFIX "core/%s/%s",
				 ch_abi_name[abi], t->name);
			if (filter && !strstr(name, filter))
				continue;
			if (list) {
				puts(name);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &t0);
			ok = run_one(t, name, abi, ch_seed ^ name_hash(name), why,
				     sizeof(why), &out);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			n++;
			if (ok) {
				passed++;
				printf("ok %u - %s", n, name);
			} else {
				failed++;
				printf("not ok %u - %s # %s", n, name, why);
			}
			printf("  # %.2fs\n", (t1.tv_sec - t0.tv_sec) +
			       (t1.tv_nsec - t0.tv_nsec) / 1e9);
			if ((!ok || ch_verbose) && out)
				print_tail(out, ch_verbose ? 400 : 40);
			if (rf) {
				if (ok)
					fprintf(rf, "ok host %s\n", name);
				else
					fprintf(rf, "not ok host %s # %s\n", name, why);
				fflush(rf);
			}
			free(out);
		}
	}
	if (rf)
		fclose(rf);
	if (list)
		return 0;
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
