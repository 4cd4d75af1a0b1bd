// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test runner of the host harness.
 *
 *   xen-events-test [-s SEED] [-t SUBSTRING] [-l] [-v] [-r RESULTS]
 *
 * Every test runs in a child process of its own: a crash, a sanitizer
 * report, a leak or a hang (SIGALRM) fails that test and the run goes on.
 * Output is one "ok N - name" / "not ok N - name # why" line per test and
 * a closing "N passed, N failed".  -r also writes "ok name" /
 * "not ok name # why" lines to RESULTS, the format of make check.
 *
 * The tests are #included below so that they can use everything the
 * harness translation unit sees, as tools/testing/vma does.
 */
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define A_2L	BIT(HX_2L)
#define A_FIFO	BIT(HX_FIFO)
#define A_3L	BIT(HX_3L)
#define A_ALL	(A_2L | A_FIFO | A_3L)

/*
 * The ABI the current test runs against: each ABI in turn for a test of
 * every ABI, the lowest one it needs for a test of a group.
 */
static enum hx_abi test_abi;

/*
 * A test runs once per ABI in @abis that is built, named ABI/name; or, in
 * a @group, once if every ABI in @abis is built, named group/name.
 */
struct hx_test {
	const char *group;
	const char *name;
	bool (*fn)(void);
	unsigned int abis;
	unsigned int timeout;	/* seconds; 0: the default */
};

#define TEST(fn)		{ "model", #fn, test_##fn, 0, 0 }
#define TEST_ABI(fn, abis)	{ NULL, #fn, test_##fn, abis, 0 }
#define TEST_ABI_T(fn, abis, t)	{ NULL, #fn, test_##fn, abis, t }
#define TEST_GROUP(group, fn, abis, t) \
	{ #group, #fn, test_##fn, abis, t }

#include "tests/model.c"
#include "tests/delivery.c"
#include "tests/abi.c"
#include "tests/twolevel.c"
#include "tests/fifo.c"
#include "tests/concurrency.c"
#include "tests/hostile.c"
#include "tests/threelevel.c"

/* Each file's table of tests, in the order they run. */
static const struct {
	const struct hx_test *tests;
	size_t nr;
} suites[] = {
	{ model_tests, ARRAY_SIZE(model_tests) },
	{ delivery_tests, ARRAY_SIZE(delivery_tests) },
	{ twolevel_tests, ARRAY_SIZE(twolevel_tests) },
	{ fifo_tests, ARRAY_SIZE(fifo_tests) },
	{ concurrency_tests, ARRAY_SIZE(concurrency_tests) },
	{ hostile_tests, ARRAY_SIZE(hostile_tests) },
	{ abi_tests, ARRAY_SIZE(abi_tests) },
	{ threelevel_tests, ARRAY_SIZE(threelevel_tests) },
};

/* The @i-th test of all the suites, in order; NULL past the last one. */
static const struct hx_test *nth_test(size_t i)
{
	size_t s;

	for (s = 0; s < ARRAY_SIZE(suites); s++) {
		if (i < suites[s].nr)
			return &suites[s].tests[i];
		i -= suites[s].nr;
	}
	return NULL;
}

static unsigned int default_timeout = 60;

static u64 name_hash(const char *s)
{
	u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Run one test in a child; fill @why on failure. */
static bool run_one(const struct hx_test *t, const char *name, enum hx_abi abi,
		    u64 seed, char *why, size_t why_len, char **out,
		    size_t *out_len)
{
	int pipefd[2], status;
	size_t cap = 1 << 16, len = 0;
	char *buf;
	pid_t pid;

	why[0] = 0;
	if (pipe(pipefd)) {
		snprintf(why, why_len, "runner: no pipe");
		return false;
	}
	/* A child must not inherit (and flush again) buffered output. */
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
		hx_seed = seed;
		test_abi = abi;
		alarm(t->timeout ? t->timeout : default_timeout);
		fprintf(stderr, "# %s seed %llu\n", name,
			(unsigned long long)seed);
		ok = t->fn();
		if (!hx_finish())
			ok = false;
		exit(ok ? 0 : 1);
	}
	close(pipefd[1]);
	buf = malloc(cap);
	for (; buf;) {
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
	if (!buf) {
		snprintf(why, why_len, "runner: out of memory");
		return false;
	}
	buf[len] = 0;
	*out = buf;
	*out_len = len;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	{
		static const char *const marks[] = { "HX-FAIL: ", "ERROR: AddressSanitizer: ",
					"ERROR: LeakSanitizer: ",
					"runtime error: ", "kernel BUG at ",
					"Kernel panic", NULL };
		unsigned int i;

		for (i = 0; marks[i]; i++) {
			char *m = strstr(buf, marks[i]);

			if (m) {
				size_t l = strcspn(m, "\n");

				if (!strncmp(m, "HX-FAIL: ", 9)) {
					m += 9;
					l -= 9;
				}
				snprintf(why, why_len, "%.*s", (int)min(l, (size_t)300), m);
				break;
			}
		}
	}
	if (!why[0]) {
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			snprintf(why, why_len, "timeout after %us",
				 t->timeout ? t->timeout : default_timeout);
		else if (WIFSIGNALED(status))
			snprintf(why, why_len, "killed by signal %d (%s)",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(why, why_len, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		size_t l = strlen(why);

		snprintf(why + l, why_len - l, " (then timed out)");
	}
	return false;
}

static void print_tail(const char *out, size_t len, unsigned int lines)
{
	const char *p = out + len;
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

/* Does @t run with test_abi @abi? */
static bool runs_on(const struct hx_test *t, unsigned int abi)
{
	unsigned int need;

	if (!t->group)
		return (t->abis & BIT(abi)) && hx_abi_built(abi);
	/* A group's test runs once, as the lowest ABI it needs. */
	if (abi != (t->abis ? (unsigned int)__builtin_ctz(t->abis) : 0))
		return false;
	for (need = 0; need < HX_NR_ABIS; need++)
		if ((t->abis & BIT(need)) && !hx_abi_built(need))
			return false;
	return true;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-t SUBSTRING] [-l] [-v] [-r RESULTS] [-T SECONDS]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *filter = NULL, *results = NULL;
	unsigned int i, n = 0, passed = 0, failed = 0;
	bool list = false, seeded = false;
	FILE *rf = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "s:t:lvr:T:h")) != -1) {
		switch (opt) {
		case 's':
			hx_seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 't':
			filter = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'v':
			hx_verbose = true;
			setenv("HX_VERBOSE", "1", 1);
			break;
		case 'r':
			results = optarg;
			break;
		case 'T':
			default_timeout = strtoul(optarg, NULL, 0);
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (!seeded)
		hx_seed = (u64)time(NULL) ^ ((u64)getpid() << 20);
	if (results) {
		rf = fopen(results, "a");
		if (!rf) {
			perror(results);
			return 2;
		}
	}
	if (!list)
		printf("# xen-events host harness, seed %llu (rerun: -s %llu)\n",
		       (unsigned long long)hx_seed, (unsigned long long)hx_seed);
	for (i = 0; i < HX_NR_ABIS; i++)
		if (!list)
			printf("# backend %s: %s\n", hx_abi_name[i],
			       hx_abi_built(i) ? "built" : "not built");

	for (i = 0; nth_test(i); i++) {
		const struct hx_test *t = nth_test(i);
		unsigned int abi;

		for (abi = 0; abi < HX_NR_ABIS; abi++) {
			char name[160], why[400];
			char *out = NULL;
			size_t out_len = 0;
			bool ok;
			struct timespec t0, t1;

			if (!runs_on(t, abi))
				continue;
			snprintf(name, sizeof(name), "%s/%s",
				 t->group ? t->group : hx_abi_name[abi], t->name);
			if (filter && !strstr(name, filter))
				continue;
			if (list) {
				puts(name);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &t0);
			ok = run_one(t, name, abi, hx_seed ^ name_hash(name),
				     why, sizeof(why), &out, &out_len);
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
			if ((!ok || hx_verbose) && out)
				print_tail(out, out_len, hx_verbose ? 400 : 40);
			if (rf) {
				if (ok)
					fprintf(rf, "ok host %s\n", name);
				else
					fprintf(rf, "not ok host %s # %s\n", name, why);
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
