// SPDX-License-Identifier: Apache-2.0
/*
 * netprobe: the probe tool of the NetworkPolicy suite (tests/bats/75-netpol.bats).
 *
 *   netprobe serve [--name NAME] PORT...
 *	listen on TCP, UDP (and SCTP when the kernel has it) on every PORT, all
 *	addresses; greet each TCP/SCTP connection with "NAME\n" and then echo
 *	what it sends; answer each UDP datagram with "NAME\n". Prints "ready"
 *	once every socket is bound, then runs until killed.
 *   netprobe probe [--timeout-ms N] [--from LABEL=NETNS] TARGET... [--from ...]
 *	TARGET = IP/tcp|udp|sctp/PORT. Probe every TARGET at once
 *	(non-blocking sockets, one poll loop) and print one line per target, in
 *	the order given:
 *	  TARGET ok NAME         the server answered, NAME is who answered
 *	  TARGET fail REASON     timeout, refused, reset, unreachable, unsupported, ...
 *	TCP and SCTP: connect and read the greeting; UDP: send, wait for the
 *	answer, send once more half-way through the timeout. Exit 0 when it ran.
 *	--from: the targets after it are probed from the network namespace
 *	NETNS (a path such as /run/netns/NAME; a socket stays in the namespace
 *	it was made in), and their lines start with "LABEL ". One process then
 *	probes a whole matrix: one start-up instead of one per pod, and every
 *	probe truly at once.
 *   netprobe hold [--interval-ms N] [--duration-ms N] IP PORT
 *	one TCP connection kept open: one small message every interval, one
 *	line per message: "MS ok SEQ RTT" when its echo came back before the
 *	next tick, "MS timeout SEQ" when not, "MS late SEQ RTT" for an echo that
 *	came after its timeout; MS is the wall clock in milliseconds (comparable
 *	to bash's EPOCHREALTIME), RTT the milliseconds since the message was
 *	sent (so MS - RTT is when). A loaded machine makes echoes late; only a
 *	connection that is cut leaves messages unanswered for good. It starts
 *	with "MS connected NAME" and ends with
 *	"MS closed", "MS error REASON" (exit 1) or, after --duration-ms or
 *	SIGTERM, "MS done ok=N timeout=N late=N" (exit 0).
 *   netprobe has-sctp
 *	exit 0 when this kernel can open an SCTP socket, else say why, exit 1.
 *
 * A denial by policy shows as a timeout (dropped) or as refused/reset (a
 * datapath answering with ICMP or RST): both are "fail", the reason tells
 * them apart in a test's report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define NAME_MAX_LEN	 63
#define MAX_PORTS	 16
#define MAX_TARGETS	 4096
#define MAX_SOURCES	 64
#define MAX_FDS		 1024 /* serve: listeners + open connections */
#define DEFAULT_TIMEOUT	 1000
#define DEFAULT_INTERVAL 100
#define HOLD_CONNECT_MS	 2000
#define HOLD_SENT_SLOTS	 4096 /* send times kept, to time late echoes */
#define PROBE_MSG	 "probe\n"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wall clock: what the tests compare with their own timestamps. */
static long long wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A short, stable word for an errno: the tests print it in their tables. */
static const char *reason(int err)
{
	switch (err) {
	case ETIMEDOUT: return "timeout";
	case ECONNREFUSED: return "refused";
	case ECONNRESET: return "reset";
	case EPIPE: return "reset";
	case EHOSTUNREACH: return "unreachable";
	case ENETUNREACH: return "unreachable";
	case EACCES: return "denied";
	case EPERM: return "denied";
	case EPROTONOSUPPORT: return "unsupported";
	case ESOCKTNOSUPPORT: return "unsupported";
	default: return strerrorname_np(err) ? strerrorname_np(err) : "error";
	}
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	long v;
	int ret = parse_long(s, 1, 65535, &v);

	if (!ret)
		*port = (uint16_t)v;
	return ret;
}

/* --- serve ------------------------------------------------------------------ */

enum slot_kind { SLOT_LISTEN, SLOT_UDP, SLOT_CONN };

struct server {
	char greeting[NAME_MAX_LEN + 2];
	size_t greeting_len;
	struct pollfd pfd[MAX_FDS];
	enum slot_kind kind[MAX_FDS];
	int64_t since[MAX_FDS]; /* connections: when accepted, to evict the oldest */
	size_t n;
};

static int server_add(struct server *s, int fd, enum slot_kind kind)
{
	if (s->n == MAX_FDS)
		return -ENOSPC;
	s->pfd[s->n] = (struct pollfd){.fd = fd, .events = POLLIN};
	s->kind[s->n] = kind;
	s->since[s->n] = mono_ms();
	s->n++;
	return 0;
}

static void server_drop(struct server *s, size_t i)
{
	close(s->pfd[i].fd);
	s->n--;
	s->pfd[i] = s->pfd[s->n];
	s->kind[i] = s->kind[s->n];
	s->since[i] = s->since[s->n];
}

/* A socket of @type/@proto bound to PORT on every address; listening unless UDP. */
static int bound_socket(int type, int proto, uint16_t port, int *out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, one = 1, ret;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

/* Connections are only ever closed by their clients; a client cut off by a
 * policy never closes, so when the table is full the oldest one goes. */
static void server_evict_oldest(struct server *s)
{
	size_t i, old = s->n;

	for (i = 0; i < s->n; i++)
		if (s->kind[i] == SLOT_CONN && (old == s->n || s->since[i] < s->since[old]))
			old = i;
	if (old < s->n)
		server_drop(s, old);
}

static void server_accept(struct server *s, int lfd)
{
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (s->n == MAX_FDS)
			server_evict_oldest(s);
		/* The greeting fits any empty socket buffer: no partial write. */
		if (send(fd, s->greeting, s->greeting_len, MSG_NOSIGNAL) < 0 ||
		    server_add(s, fd, SLOT_CONN))
			close(fd);
	}
}

static void server_udp(struct server *s, int fd)
{
	struct sockaddr_storage from;
	socklen_t len;
	char buf[512];

	for (;;) {
		len = sizeof(from);
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) < 0)
			return;
		sendto(fd, s->greeting, s->greeting_len, MSG_NOSIGNAL, (struct sockaddr *)&from,
		       len);
	}
}

/* Echo what a connection sent; false when it is over. */
static bool server_echo(int fd)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		/* hold sends a few bytes every 100 ms: a full buffer means the
		 * client is gone, and dropping the echo is all that is left. */
		send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
}

static int serve(int argc, char **argv)
{
	static struct server s;
	const char *name = "netprobe";
	uint16_t ports[MAX_PORTS];
	int nports = 0, i, fd, ret;
	bool sctp = true;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			name = argv[++i];
			continue;
		}
		if (nports == MAX_PORTS || parse_port(argv[i], &ports[nports])) {
			fprintf(stderr,
				"netprobe serve: PORT: at most %d ports in 1-65535, got %s\n",
				MAX_PORTS, argv[i]);
			return 2;
		}
		nports++;
	}
	if (!nports || strlen(name) > NAME_MAX_LEN || strchr(name, '\n')) {
		fprintf(stderr, "usage: netprobe serve [--name NAME] PORT...\n");
		return 2;
	}
	s.greeting_len = (size_t)snprintf(s.greeting, sizeof(s.greeting), "%s\n", name);
	for (i = 0; i < nports; i++) {
		ret = bound_socket(SOCK_STREAM, 0, ports[i], &fd);
		if (!ret)
			ret = server_add(&s, fd, SLOT_LISTEN);
		if (!ret)
			ret = bound_socket(SOCK_DGRAM, 0, ports[i], &fd);
		if (!ret)
			ret = server_add(&s, fd, SLOT_UDP);
		if (!ret && sctp) {
			ret = bound_socket(SOCK_STREAM, IPPROTO_SCTP, ports[i], &fd);
			if (ret == -EPROTONOSUPPORT || ret == -ESOCKTNOSUPPORT) {
				fprintf(stderr,
					"netprobe serve: no SCTP in this kernel: TCP and UDP only\n");
				sctp = false;
				ret = 0;
			} else if (!ret) {
				ret = server_add(&s, fd, SLOT_LISTEN);
			}
		}
		if (ret) {
			fprintf(stderr, "netprobe serve: port %u: %s\n", ports[i], strerror(-ret));
			return 1;
		}
	}
	printf("ready %s%s\n", name, sctp ? " sctp" : "");
	fflush(stdout);
	for (;;) {
		if (poll(s.pfd, s.n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("netprobe serve: poll");
			return 1;
		}
		/* Backwards: server_drop moves the last slot into the hole. */
		for (size_t j = s.n; j-- > 0;) {
			if (!s.pfd[j].revents)
				continue;
			s.pfd[j].revents = 0;
			if (s.kind[j] == SLOT_LISTEN)
				server_accept(&s, s.pfd[j].fd);
			else if (s.kind[j] == SLOT_UDP)
				server_udp(&s, s.pfd[j].fd);
			else if (!server_echo(s.pfd[j].fd))
				server_drop(&s, j);
		}
	}
}

/* --- probe ------------------------------------------------------------------ */

enum probe_state { P_CONNECT, P_READ, P_DONE };

struct target {
	const char *text;
	int source; /* index into the --from namespaces, -1: this process's */
	struct sockaddr_in sa;
	int proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	int fd;
	enum probe_state state;
	bool retried;
	char reply[NAME_MAX_LEN + 1];
	size_t reply_len;
	const char *fail; /* NULL while pending or when ok */
};

static int parse_target(const char *text, struct target *t)
{
	char buf[64], *proto, *port;
	uint16_t p;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	proto = strchr(buf, '/');
	if (!proto)
		return -EINVAL;
	*proto++ = '\0';
	port = strchr(proto, '/');
	if (!port)
		return -EINVAL;
	*port++ = '\0';
	memset(t, 0, sizeof(*t));
	t->text = text;
	t->fd = -1;
	t->sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, buf, &t->sa.sin_addr) != 1 || parse_port(port, &p))
		return -EINVAL;
	t->sa.sin_port = htons(p);
	if (!strcmp(proto, "tcp"))
		t->proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		t->proto = IPPROTO_UDP;
	else if (!strcmp(proto, "sctp"))
		t->proto = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

static void target_fail(struct target *t, int err)
{
	t->fail = reason(err);
	t->state = P_DONE;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static int udp_send_probe(struct target *t)
{
	if (send(t->fd, PROBE_MSG, strlen(PROBE_MSG), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static void target_start(struct target *t)
{
	int type = t->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int ret;

	t->fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       t->proto == IPPROTO_SCTP ? IPPROTO_SCTP : 0);
	if (t->fd < 0) {
		target_fail(t, errno);
		return;
	}
	/* UDP too: a connected socket hears ICMP errors as ECONNREFUSED. */
	if (connect(t->fd, (struct sockaddr *)&t->sa, sizeof(t->sa)) && errno != EINPROGRESS) {
		target_fail(t, errno);
		return;
	}
	if (t->proto != IPPROTO_UDP) {
		t->state = P_CONNECT;
		return;
	}
	ret = udp_send_probe(t);
	if (ret)
		target_fail(t, -ret);
	else
		t->state = P_READ;
}

/* The connection is up (or failed): its error, if any, decides. */
static void target_connected(struct target *t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err)
		target_fail(t, err);
	else
		t->state = P_READ;
}

/* Read the greeting: one line naming the server. */
static void target_read(struct target *t)
{
	char buf[NAME_MAX_LEN + 1];
	ssize_t n;
	char *nl;

	n = recv(t->fd, buf, sizeof(buf) - 1 - t->reply_len, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			target_fail(t, errno);
		return;
	}
	/* UDP: one datagram is the whole reply; stream: up to the newline. */
	memcpy(t->reply + t->reply_len, buf, (size_t)n);
	t->reply_len += (size_t)n;
	t->reply[t->reply_len] = '\0';
	nl = strchr(t->reply, '\n');
	if (nl)
		*nl = '\0';
	if (n == 0 && !t->reply_len) {
		target_fail(t, ECONNRESET);
		return;
	}
	if (nl || n == 0 || t->proto == IPPROTO_UDP || t->reply_len == sizeof(t->reply) - 1) {
		close(t->fd);
		t->fd = -1;
		t->state = P_DONE;
	}
}

struct source {
	char label[NAME_MAX_LEN + 1];
	int fd; /* the namespace, open */
};

/* --from LABEL=NETNS: the namespace opened now, entered when its targets start. */
static int parse_source(const char *arg, struct source *src)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) > NAME_MAX_LEN)
		return -EINVAL;
	memcpy(src->label, arg, (size_t)(eq - arg));
	src->label[eq - arg] = '\0';
	src->fd = open(eq + 1, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0)
		return -errno;
	return 0;
}

/* A matrix opens a socket per probe: as many descriptors as the hard limit
 * allows. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int probe(int argc, char **argv)
{
	static struct target targets[MAX_TARGETS];
	static struct pollfd pfd[MAX_TARGETS];
	static size_t idx[MAX_TARGETS];
	static struct source sources[MAX_SOURCES];
	long timeout = DEFAULT_TIMEOUT;
	int64_t start, now, next;
	size_t n = 0, i, np;
	int a, ret, nsrc = 0, cur = -1;

	for (a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "--timeout-ms") && a + 1 < argc) {
			if (parse_long(argv[++a], 10, 60000, &timeout)) {
				fprintf(stderr, "netprobe probe: --timeout-ms: 10-60000\n");
				return 2;
			}
			continue;
		}
		if (!strcmp(argv[a], "--from") && a + 1 < argc) {
			ret = nsrc == MAX_SOURCES ? -E2BIG
						  : parse_source(argv[++a], &sources[nsrc]);
			if (ret) {
				fprintf(stderr,
					"netprobe probe: --from %s: LABEL=NETNS (at most %d): %s\n",
					argv[a], MAX_SOURCES, strerror(-ret));
				return 2;
			}
			nsrc++;
			continue;
		}
		if (n == MAX_TARGETS || parse_target(argv[a], &targets[n])) {
			fprintf(stderr,
				"netprobe probe: TARGET: IP/tcp|udp|sctp/PORT (at most %d), got %s\n",
				MAX_TARGETS, argv[a]);
			return 2;
		}
		targets[n++].source = nsrc - 1;
	}
	if (!n) {
		fprintf(stderr, "usage: netprobe probe [--timeout-ms N] [--from LABEL=NETNS] "
				"IP/tcp|udp|sctp/PORT...\n");
		return 2;
	}
	raise_nofile();
	start = mono_ms();
	for (i = 0; i < n; i++) {
		if (targets[i].source != cur) {
			cur = targets[i].source;
			if (setns(sources[cur].fd, CLONE_NEWNET)) {
				fprintf(stderr, "netprobe probe: into %s's namespace: %s\n",
					sources[cur].label, strerror(errno));
				return 1;
			}
		}
		target_start(&targets[i]);
	}
	for (;;) {
		now = mono_ms();
		np = 0;
		for (i = 0; i < n; i++) {
			struct target *t = &targets[i];

			if (t->state == P_DONE)
				continue;
			if (now >= start + timeout) {
				target_fail(t, ETIMEDOUT);
				continue;
			}
			/* UDP may lose a datagram: one more, half-way through. */
			if (t->proto == IPPROTO_UDP && !t->retried && now >= start + timeout / 2) {
				t->retried = true;
				ret = udp_send_probe(t);
				if (ret) {
					target_fail(t, -ret);
					continue;
				}
			}
			pfd[np] = (struct pollfd){
				.fd = t->fd, .events = t->state == P_CONNECT ? POLLOUT : POLLIN};
			idx[np++] = i;
		}
		if (!np)
			break;
		next = start + timeout;
		if (now < start + timeout / 2)
			next = start + timeout / 2;
		if (poll(pfd, np, (int)(next - now)) < 0 && errno != EINTR) {
			perror("netprobe probe: poll");
			return 1;
		}
		for (i = 0; i < np; i++) {
			struct target *t = &targets[idx[i]];

			if (!pfd[i].revents)
				continue;
			if (t->state == P_CONNECT)
				target_connected(t);
			else
				target_read(t);
		}
	}
	for (i = 0; i < n; i++) {
		if (targets[i].source >= 0)
			printf("%s ", sources[targets[i].source].label);
		if (targets[i].fail)
			printf("%s fail %s\n", targets[i].text, targets[i].fail);
		else
			printf("%s ok %s\n", targets[i].text,
			       targets[i].reply_len ? targets[i].reply : "?");
	}
	return 0;
}

/* --- hold ------------------------------------------------------------------- */

/* Connect with a deadline and read the greeting into @name. */
static int hold_connect(const struct sockaddr_in *sa, char *name, size_t size, int *out)
{
	struct pollfd p;
	size_t have = 0;
	int fd, err = 0, ret;
	socklen_t len = sizeof(err);
	int64_t deadline = mono_ms() + HOLD_CONNECT_MS;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) && errno != EINPROGRESS) {
		ret = -errno;
		goto fail;
	}
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, HOLD_CONNECT_MS) <= 0) {
		ret = -ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		ret = err ? -err : -errno;
		goto fail;
	}
	while (have < size - 1) {
		int64_t left = deadline - mono_ms();

		p = (struct pollfd){.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			ret = -ETIMEDOUT;
			goto fail;
		}
		n = recv(fd, name + have, size - 1 - have, 0);
		if (n <= 0) {
			ret = n ? -errno : -ECONNRESET;
			if (ret == -EAGAIN)
				continue;
			goto fail;
		}
		have += (size_t)n;
		name[have] = '\0';
		if (strchr(name, '\n')) {
			*strchr(name, '\n') = '\0';
			*out = fd;
			return 0;
		}
	}
	ret = -EPROTO;
fail:
	close(fd);
	return ret;
}

struct hold {
	int fd;
	unsigned long seq; /* the message in flight */
	bool answered;	   /* its echo came back */
	unsigned long ok, timeouts, late;
	long long sent[HOLD_SENT_SLOTS]; /* wall ms, by seq % HOLD_SENT_SLOTS */
	char buf[256];
	size_t have;
};

/* Echoes in: one line per message, its sequence number. 0, -ESHUTDOWN when
 * the server closed, or -errno. */
static int hold_read(struct hold *h)
{
	ssize_t n;
	char *line, *nl;

	n = recv(h->fd, h->buf + h->have, sizeof(h->buf) - 1 - h->have, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ESHUTDOWN;
	h->have += (size_t)n;
	h->buf[h->have] = '\0';
	line = h->buf;
	while ((nl = strchr(line, '\n'))) {
		unsigned long seq;
		long long now = wall_ms();

		*nl = '\0';
		seq = strtoul(line, NULL, 10);
		if (seq == h->seq && !h->answered) {
			h->answered = true;
			h->ok++;
			printf("%lld ok %lu %lld\n", now, seq,
			       now - h->sent[seq % HOLD_SENT_SLOTS]);
		} else if (seq && seq < h->seq) {
			h->late++;
			printf("%lld late %lu %lld\n", now, seq,
			       h->seq - seq < HOLD_SENT_SLOTS ? now - h->sent[seq % HOLD_SENT_SLOTS]
							      : -1);
		}
		line = nl + 1;
	}
	h->have = strlen(line);
	memmove(h->buf, line, h->have + 1);
	return 0;
}

static int hold(int argc, char **argv)
{
	struct hold h = {.fd = -1};
	long interval = DEFAULT_INTERVAL, duration = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *ip = NULL, *port = NULL;
	char name[NAME_MAX_LEN + 2];
	int64_t start, next;
	uint16_t p;
	int a, ret = 0;

	for (a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "--interval-ms") && a + 1 < argc) {
			if (parse_long(argv[++a], 10, 10000, &interval))
				goto usage;
		} else if (!strcmp(argv[a], "--duration-ms") && a + 1 < argc) {
			if (parse_long(argv[++a], 1, 3600000, &duration))
				goto usage;
		} else if (!ip) {
			ip = argv[a];
		} else if (!port) {
			port = argv[a];
		} else {
			goto usage;
		}
	}
	if (!ip || !port || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || parse_port(port, &p))
		goto usage;
	sa.sin_port = htons(p);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = hold_connect(&sa, name, sizeof(name), &h.fd);
	if (ret) {
		printf("%lld error %s\n", wall_ms(), reason(-ret));
		return 1;
	}
	printf("%lld connected %s\n", wall_ms(), name);
	start = next = mono_ms();
	h.answered = true;
	while (!stop && (!duration || mono_ms() - start < duration)) {
		char msg[32];
		int len;

		if (!h.answered) {
			h.timeouts++;
			printf("%lld timeout %lu\n", wall_ms(), h.seq);
		}
		h.seq++;
		h.answered = false;
		h.sent[h.seq % HOLD_SENT_SLOTS] = wall_ms();
		len = snprintf(msg, sizeof(msg), "%lu\n", h.seq);
		if (send(h.fd, msg, (size_t)len, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
			ret = -errno;
			break;
		}
		next += interval;
		while (!stop) {
			int64_t left = next - mono_ms();
			struct pollfd pfd = {.fd = h.fd, .events = POLLIN};

			if (left <= 0)
				break;
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
				ret = -errno;
				break;
			}
			if (pfd.revents) {
				ret = hold_read(&h);
				if (ret)
					break;
			}
		}
		if (ret)
			break;
	}
	close(h.fd);
	if (ret == -ESHUTDOWN) {
		printf("%lld closed\n", wall_ms());
		return 1;
	}
	if (ret) {
		printf("%lld error %s\n", wall_ms(), reason(-ret));
		return 1;
	}
	printf("%lld done ok=%lu timeout=%lu late=%lu\n", wall_ms(), h.ok, h.timeouts, h.late);
	return 0;
usage:
	fprintf(stderr, "usage: netprobe hold [--interval-ms N] [--duration-ms N] IP PORT\n");
	return 2;
}

static int has_sctp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0) {
		printf("no SCTP in this kernel: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): %s\n",
		       strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "probe"))
		return probe(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "hold")) {
		/* SIGTERM ends a hold with its summary line. */
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		return hold(argc - 2, argv + 2);
	}
	if (argc == 2 && !strcmp(argv[1], "has-sctp"))
		return has_sctp();
	fprintf(stderr, "usage: netprobe serve [--name NAME] PORT...\n"
			"       netprobe probe [--timeout-ms N] [--from LABEL=NETNS] "
			"IP/tcp|udp|sctp/PORT...\n"
			"       netprobe hold [--interval-ms N] [--duration-ms N] IP PORT\n"
			"       netprobe has-sctp\n");
	return 2;
}
