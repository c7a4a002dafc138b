// SPDX-License-Identifier: Apache-2.0
/*
 * seqstream: a sequenced stream for the no-loss tests. Every message carries
 * a 64-bit sequence number, so the receiver can tell lost, duplicated and
 * reordered messages apart, and the TCP sender fails on the first reset.
 *
 *   seqstream udp-recv PORT             until SIGTERM/SIGINT, then a JSON summary
 *   seqstream udp-send ADDR PORT RATE SECONDS
 *   seqstream tcp-recv PORT             one connection, until EOF
 *   seqstream tcp-send ADDR PORT RATE SECONDS
 *
 * The summaries go to stdout as one JSON line; the exit code is 0 unless a
 * socket call failed (for TCP: the connection broke).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE 64	    /* bytes per message: seq + padding */
#define RCVBUF	 (32 << 20) /* the receiver may lose the CPU during an upgrade */
#define SEEN_MAX (1u << 26) /* sequence numbers tracked for duplicates */
#define TICK_NS	 1000000L   /* the sender paces in 1 ms batches */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_addr(const char *ip, const char *port, struct sockaddr_in *sa)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (*end || p <= 0 || p > 65535) {
		fprintf(stderr, "seqstream: PORT: must be 1-65535\n");
		return -EINVAL;
	}
	sa->sin_port = htons((uint16_t)p);
	if (ip && inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		fprintf(stderr, "seqstream: ADDR: must be an IPv4 address\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_rate(const char *rate, const char *secs, long *r, long *s)
{
	char *e1, *e2;

	*r = strtol(rate, &e1, 10);
	*s = strtol(secs, &e2, 10);
	if (*e1 || *e2 || *r <= 0 || *r > 10000000 || *s <= 0 || *s > 3600) {
		fprintf(stderr, "seqstream: RATE SECONDS: must be 1-10000000 and 1-3600\n");
		return -EINVAL;
	}
	return 0;
}

static int udp_recv(const char *port)
{
	uint64_t received = 0, dups = 0, reordered = 0, max = 0, buf[MSG_SIZE / 8];
	struct sockaddr_in sa;
	uint8_t *seen;
	int fd, size = RCVBUF, ret = 1;
	ssize_t n;
	int got_any = 0;

	if (parse_addr(NULL, port, &sa))
		return 2;
	seen = calloc(SEEN_MAX / 8, 1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!seen || fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("seqstream: udp-recv");
		goto close_fd;
	}
	while (!stop) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("seqstream: recv");
			goto close_fd;
		}
		if (n != MSG_SIZE)
			continue;
		uint64_t seq = buf[0];

		if (seq < SEEN_MAX) {
			if (seen[seq / 8] & (1u << (seq % 8))) {
				dups++;
				continue;
			}
			seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
		}
		if (got_any && seq < max)
			reordered++;
		if (!got_any || seq > max)
			max = seq;
		got_any = 1;
		received++;
	}
	/* Sequence numbers start at 0: max + 1 were sent up to the last seen. */
	printf("{\"received\": %llu, \"highest\": %llu, \"missing\": %llu, \"duplicates\": %llu, "
	       "\"reordered\": %llu}\n",
	       (unsigned long long)received, (unsigned long long)(got_any ? max : 0),
	       (unsigned long long)(got_any ? max + 1 - received : 0), (unsigned long long)dups,
	       (unsigned long long)reordered);
	ret = 0;
close_fd:
	if (fd >= 0)
		close(fd);
	free(seen);
	return ret;
}

static void tick_add(struct timespec *t)
{
	t->tv_nsec += TICK_NS;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

/* Send RATE messages a second for SECONDS over @fd (connected). */
static int send_paced(int fd, long rate, long secs, uint64_t *sent)
{
	uint64_t buf[MSG_SIZE / 8] = {0};
	long ticks = secs * (1000000000L / TICK_NS);
	struct timespec next;
	double per_tick = (double)rate * TICK_NS / 1e9, due = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long t = 0; t < ticks && !stop; t++) {
		due += per_tick;
		while (due >= 1) {
			buf[0] = *sent;
			if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) != (ssize_t)sizeof(buf)) {
				if (errno == EINTR)
					continue;
				/* A full socket buffer would be a loss we made. */
				if (errno == ENOBUFS || errno == EAGAIN) {
					usleep(50);
					continue;
				}
				perror("seqstream: send");
				return 1;
			}
			(*sent)++;
			due -= 1;
		}
		tick_add(&next);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return 0;
}

static int stream_send(int type, const char *ip, const char *port, const char *rate,
		       const char *secs)
{
	struct sockaddr_in sa;
	uint64_t sent = 0;
	long r, s;
	int fd, ret;

	if (parse_addr(ip, port, &sa) || parse_rate(rate, secs, &r, &s))
		return 2;
	fd = socket(AF_INET, type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("seqstream: connect");
		return 1;
	}
	ret = send_paced(fd, r, s, &sent);
	if (type == SOCK_STREAM && !ret && shutdown(fd, SHUT_WR)) {
		perror("seqstream: shutdown");
		ret = 1;
	}
	if (type == SOCK_STREAM && !ret) {
		/* Wait for the receiver's close: every byte was read. */
		char c;

		while (recv(fd, &c, 1, 0) > 0)
			;
	}
	printf("{\"sent\": %llu, \"ok\": %s}\n", (unsigned long long)sent, ret ? "false" : "true");
	close(fd);
	return ret;
}

static int tcp_recv(const char *port)
{
	uint64_t expect = 0, buf[MSG_SIZE / 8];
	struct sockaddr_in sa;
	size_t have = 0;
	int lfd, fd, one = 1, bad = 0;
	ssize_t n;

	if (parse_addr(NULL, port, &sa))
		return 2;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		perror("seqstream: tcp-recv");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("seqstream: accept");
		return 1;
	}
	for (;;) {
		n = recv(fd, (char *)buf + have, sizeof(buf) - have, 0);
		/* Stopped before EOF (a test's teardown): the peer may be gone
		 * with its namespace and no FIN will ever come. */
		if (n < 0 && errno == EINTR && stop) {
			printf("{\"received\": %llu, \"stopped\": true, \"ok\": false}\n",
			       (unsigned long long)expect);
			close(fd);
			close(lfd);
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("seqstream: recv");
			printf("{\"received\": %llu, \"ok\": false}\n", (unsigned long long)expect);
			return 1;
		}
		if (!n)
			break;
		have += (size_t)n;
		if (have < sizeof(buf))
			continue;
		have = 0;
		if (buf[0] != expect)
			bad++;
		expect++;
	}
	printf("{\"received\": %llu, \"outOfSequence\": %d, \"ok\": %s}\n",
	       (unsigned long long)expect, bad, bad ? "false" : "true");
	close(fd);
	close(lfd);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "udp-recv"))
		return udp_recv(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "udp-send"))
		return stream_send(SOCK_DGRAM, argv[2], argv[3], argv[4], argv[5]);
	if (argc == 3 && !strcmp(argv[1], "tcp-recv"))
		return tcp_recv(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "tcp-send"))
		return stream_send(SOCK_STREAM, argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: seqstream udp-recv PORT | udp-send ADDR PORT RATE SECONDS |\n"
			"                 tcp-recv PORT | tcp-send ADDR PORT RATE SECONDS\n");
	return 2;
}
