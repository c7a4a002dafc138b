# SPDX-License-Identifier: Apache-2.0
# weft: one Makefile, out-of-tree output. `make help` lists the targets.

# SANITIZE=1: everything built with ASan and UBSan into its own OUTPUT
# (.output-san unless given), never mixed with the normal build's objects.
SANITIZE ?=
ifeq ($(SANITIZE),1)
OUTPUT ?= .output-san
else
OUTPUT ?= .output
endif
PREFIX ?= /usr/local
DESTDIR ?=
CNI_BIN_DIR ?= /opt/cni/bin
BINDIR ?= $(PREFIX)/bin
BPF_INSTALL_DIR ?= $(PREFIX)/lib/weft

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

OUT := $(abspath $(OUTPUT))
WEFT_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

CFLAGS ?= -g -O2
# The warnings, includes and defines every user-space object gets; the fuzz
# build (below) uses them with its own compiler and sanitizers.
WEFT_CFLAGS = -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-I$(CURDIR) -I$(CURDIR)/lib -I$(OUT)/bpf $(NL_CFLAGS) $(K8S_CFLAGS) \
	-DWEFT_VERSION='"$(WEFT_VERSION)"' -DWEFT_DEFAULT_BPF_DIR='"$(BPF_INSTALL_DIR)"' -MMD -MP
CFLAGS += $(WEFT_CFLAGS)
# The sanitizer build (docs/testing.md, "Sanitizers"): every user-space object
# and binary, with defaults compiled in (tests/sanitize/options.c) that make any
# report fatal and write it under $(OUT)/sanitizer/, where the tests look.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_LOG_DIR = $(OUT)/sanitizer
# clang: gcc 12's UBSan, combined with ASan, writes its reports to stderr
# whatever log_path says, where weftd's log or a test's expected failure would
# hide them. SAN_CC picks another compiler.
SAN_CC ?= clang
ifeq ($(SANITIZE),1)
CC := $(SAN_CC)
CFLAGS += $(SAN_FLAGS) -DWEFT_SAN_LOG_DIR='"$(SAN_LOG_DIR)"'
SAN_OBJ = $(OUT)/tests/sanitize/options.o
endif
LDLIBS_COMMON := -ljansson
LDLIBS_BPF := -lbpf -lelf -lz
LDLIBS_NL = $(NL_LIBS)
LDLIBS_K8S = $(K8S_LIBS) -lpthread

# libnl's flags come from pkg-config, which only knows them once `make deps` has
# installed libnl. The targets that run deps first (test, demo, bench) build in
# a second make, which reads this file again after deps; a plain `make` on a
# machine without libnl stops with what to do instead of a link error.
NL_PKGS := libnl-3.0 libnl-route-3.0
NL_CFLAGS := $(shell pkg-config --cflags $(NL_PKGS) 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs $(NL_PKGS) 2>/dev/null)
ifeq ($(strip $(NL_LIBS)),)
need_build_deps = $(error pkg-config finds no $(NL_PKGS): run 'make deps' first (as root))
endif
# weftd's Kubernetes API source (daemon/k8s/): HTTPS with libcurl, kubeconfig
# with libyaml. Both checked the same way as libnl.
K8S_PKGS := libcurl yaml-0.1
K8S_CFLAGS := $(shell pkg-config --cflags $(K8S_PKGS) 2>/dev/null)
K8S_LIBS := $(shell pkg-config --libs $(K8S_PKGS) 2>/dev/null)
ifeq ($(strip $(K8S_LIBS)),)
need_build_deps = $(error pkg-config finds no $(K8S_PKGS): run 'make deps' first (as root))
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Wno-unused-parameter -I$(CURDIR)/bpf -I/usr/include/$(shell uname -m)-linux-gnu -MMD -MP \
	$(BPF_EXTRA_CFLAGS)

# Sources, by directory. Every directory's *.c but its entry point is a library,
# so unit tests link exactly the code that ships.
LIB_SRCS := $(wildcard lib/*.c)
CNI_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c))
# daemon/ is split into rooms (api/, endpoint/, datapath/, cluster/, overlay/,
# host/); weftctl has its own binary.
DAEMON_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c daemon/*/*.c))
DAEMON_SRCS := $(filter-out daemon/weftctl/%,$(DAEMON_SRCS))
CTL_SRCS := $(wildcard daemon/weftctl/*.c)
BPF_SRCS := $(wildcard bpf/*.bpf.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
BPFTEST_SRCS := $(wildcard tests/bpf/test_*.c)
# The BPF tests' shared harness (packet builders, map set-up, the run helper):
# every tests/bpf/*.c that is not a test, linked into each test binary.
BPFTEST_LIB_SRCS := $(filter-out $(BPFTEST_SRCS),$(wildcard tests/bpf/*.c))
# Test-only BPF objects (e.g. one the verifier must refuse), one per directory
# so each can stand in for bpf/ as weftd's --bpf-dir.
TESTBPF_SRCS := $(wildcard tests/bpf/*/*.bpf.c)
# Small programs the bats suites drive (e.g. a sequenced traffic stream).
TOOL_SRCS := $(wildcard tests/tools/*.c)
# Benchmark programs (figures, not tests); they drive the BPF objects through
# the BPF tests' harness.
BENCH_SRCS := $(wildcard bench/*.c)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) and what they share.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_LIB_SRCS := $(filter-out $(FUZZ_SRCS),$(wildcard tests/fuzz/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(OUT)/%.o)
CNI_OBJS := $(CNI_SRCS:%.c=$(OUT)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(OUT)/%.o)
CTL_OBJS := $(CTL_SRCS:%.c=$(OUT)/%.o)
BPF_OBJS := $(BPF_SRCS:bpf/%.bpf.c=$(OUT)/bpf/%.bpf.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(OUT)/bpf/%.skel.h)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/unit/%)
BPFTEST_BINS := $(BPFTEST_SRCS:tests/bpf/%.c=$(OUT)/tests/bpf/%)
BPFTEST_LIB_OBJS := $(BPFTEST_LIB_SRCS:%.c=$(OUT)/%.o)
TESTBPF_OBJS := $(TESTBPF_SRCS:%.bpf.c=$(OUT)/%.bpf.o)
TOOL_BINS := $(TOOL_SRCS:%.c=$(OUT)/%)
BENCH_BINS := $(BENCH_SRCS:%.c=$(OUT)/%)

LIBWEFT := $(OUT)/libweft.a
LIBCNI := $(OUT)/libweft-cni.a
LIBDAEMON := $(OUT)/libweftd.a

BINS := $(OUT)/weft $(OUT)/weftd $(OUT)/weftctl

.DEFAULT_GOAL := all
.PHONY: all help deps test test-unit-sanitized test-fresh unit-tests demo install uninstall clean format bench bpf image \
	fuzz fuzz-build

all: $(BINS) $(BPF_OBJS) ## Build the plugin, weftd, weftctl and the BPF objects

# The upgrade tests build variants of the object into their own OUTPUT with
# e.g. BPF_EXTRA_CFLAGS=-DWEFT_TEST_LAYOUT=2 (a changed map layout).
bpf: $(BPF_OBJS) ## Build only the BPF objects (honours BPF_EXTRA_CFLAGS)

help: ## Show this help
	@echo 'weft: Kubernetes CNI plugin with an eBPF dataplane'
	@echo
	@echo 'Targets:'
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/:.*## /\t/' | \
		awk -F'\t' '{ printf "  %-12s %s\n", $$1, $$2 }'
	@echo
	@echo 'Variables: OUTPUT=$(OUTPUT) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) CNI_BIN_DIR=$(CNI_BIN_DIR) V=1'
	@echo '  SANITIZE=1: build (and test) everything with ASan+UBSan, into OUTPUT=.output-san by default'

deps: ## Install what is missing from Debian 12 (+ bookworm-backports) and build cnitool
	$(Q)OUTPUT=$(OUT) scripts/deps.sh

# --- BPF: clang -> bpftool gen object -> skeleton -----------------------------
$(OUT)/bpf/%.tmp.o: bpf/%.bpf.c | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

# Static pattern rules: these must win over the generic %.o rule below even
# before their prerequisites exist.
$(BPF_OBJS): $(OUT)/bpf/%.bpf.o: $(OUT)/bpf/%.tmp.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(TESTBPF_OBJS): $(OUT)/%.bpf.o: %.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

# --- user space ---------------------------------------------------------------
$(OUT)/%.o: %.c
	$(need_build_deps)$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The sanitizer build's compiled-in options; the reports' directory with it.
$(OUT)/tests/sanitize/options.o: tests/sanitize/options.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) $(SAN_LOG_DIR)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Only the BPF tests and benchmarks include skeletons (weftd loads objects
# from --bpf-dir).
$(BPFTEST_BINS:%=%.o) $(BPFTEST_LIB_OBJS): $(OUT)/tests/bpf/%.o: tests/bpf/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BENCH_BINS:%=%.o): $(OUT)/bench/%.o: bench/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIBWEFT): $(LIB_OBJS)
$(LIBCNI): $(CNI_OBJS)
$(LIBDAEMON): $(DAEMON_OBJS)
$(LIBWEFT) $(LIBCNI) $(LIBDAEMON):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/weft: $(OUT)/cni/main.o $(LIBCNI) $(LIBWEFT) $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COMMON) $(LDLIBS_NL)

$(OUT)/weftd: $(OUT)/daemon/main.o $(LIBDAEMON) $(LIBWEFT) $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COMMON) $(LDLIBS_BPF) $(LDLIBS_NL) $(LDLIBS_K8S) -lcap

$(OUT)/weftctl: $(CTL_OBJS) $(LIBWEFT) $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COMMON) $(LDLIBS_BPF)

# --- tests --------------------------------------------------------------------
$(OUT)/tests/unit/%: $(OUT)/tests/unit/%.o $(LIBCNI) $(LIBDAEMON) $(LIBWEFT) $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COMMON) $(LDLIBS_BPF) $(LDLIBS_NL) $(LDLIBS_K8S) -lcap

# The harness makes its veths with libnl (lib/nlh.c).
$(OUT)/tests/bpf/%: $(OUT)/tests/bpf/%.o $(BPFTEST_LIB_OBJS) $(LIBWEFT) $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COMMON) $(LDLIBS_BPF) $(LDLIBS_NL)

$(OUT)/tests/tools/%: $(OUT)/tests/tools/%.o $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

$(OUT)/bench/%: $(OUT)/bench/%.o $(BPFTEST_LIB_OBJS) $(LIBWEFT) $(SAN_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COMMON) $(LDLIBS_BPF) $(LDLIBS_NL)

# The benchmark programs are built with the tests so they do not rot.
unit-tests: $(UNIT_BINS) $(BPFTEST_BINS) $(TESTBPF_OBJS) $(TOOL_BINS) $(BENCH_BINS) ## Build the C unit and BPF tests, the test tools and the benchmark programs

# --- fuzzing (docs/testing.md, "Fuzzing") -------------------------------------
# The harnesses link their own copies of the libraries, built by clang with
# libFuzzer's coverage, ASan and UBSan under $(OUT)/fuzz/: the normal build's
# objects and flags stay as they are. The BPF harness's programs run in the
# kernel, uninstrumented; only its user-space side is.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link \
	$(WEFT_CFLAGS)
FUZZ_LIB_OBJS := $(addprefix $(OUT)/fuzz/,$(LIB_SRCS:.c=.o))
FUZZ_CNI_OBJS := $(addprefix $(OUT)/fuzz/,$(CNI_SRCS:.c=.o))
FUZZ_DAEMON_OBJS := $(addprefix $(OUT)/fuzz/,$(DAEMON_SRCS:.c=.o))
FUZZ_HARNESS_OBJS := $(addprefix $(OUT)/fuzz/,$(FUZZ_LIB_SRCS:.c=.o))
FUZZ_BPFTEST_OBJS := $(addprefix $(OUT)/fuzz/,$(BPFTEST_LIB_SRCS:.c=.o))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(OUT)/fuzz/%)
FUZZ_LIBS := $(OUT)/fuzz/libweft-cni.a $(OUT)/fuzz/libweftd.a $(OUT)/fuzz/libweft.a

$(OUT)/fuzz/%.o: %.c
	$(need_build_deps)$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BPFTEST_OBJS) $(OUT)/fuzz/tests/fuzz/fuzz_datapath.o: $(BPF_SKELS)

$(OUT)/fuzz/libweft.a: $(FUZZ_LIB_OBJS)
$(OUT)/fuzz/libweft-cni.a: $(FUZZ_CNI_OBJS)
$(OUT)/fuzz/libweftd.a: $(FUZZ_DAEMON_OBJS)
$(FUZZ_LIBS):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The datapath harness drives the programs through the BPF tests' harness.
$(OUT)/fuzz/fuzz_datapath: $(FUZZ_BPFTEST_OBJS)
$(FUZZ_BINS): $(OUT)/fuzz/%: $(OUT)/fuzz/tests/fuzz/%.o $(FUZZ_HARNESS_OBJS) $(FUZZ_LIBS)
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SANITIZE) -fsanitize=fuzzer $(filter %.o,$^) $(FUZZ_LIBS) -o $@ \
		$(LDLIBS_COMMON) $(LDLIBS_BPF) $(LDLIBS_NL) $(LDLIBS_K8S)

fuzz-build: $(FUZZ_BINS) ## Build the libFuzzer harnesses (clang, ASan, UBSan) into $(OUTPUT)/fuzz
fuzz: deps ## Run each fuzz harness for FUZZ_SECONDS (default 60) under nice; FUZZ=name picks some
	$(Q)$(SUBMAKE) all fuzz-build
	$(Q)OUTPUT=$(OUT) tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(FUZZ)

# deps first, then the build in a second make that sees what deps installed.
SUBMAKE = $(MAKE) --no-print-directory OUTPUT=$(OUT)

# With SANITIZE=1 the fuzz harnesses are not built: they carry ASan and UBSan
# in the normal build already. Without it, the leak suite (54-leaks) still
# needs a weftd under LeakSanitizer: the sanitizer build's, in $(SAN_OUTPUT).
test: deps ## Install deps, build, run every test; ends with "N passed, N failed" (SANITIZE=1: all of it under ASan+UBSan)
	$(Q)$(SUBMAKE) all unit-tests $(if $(filter 1,$(SANITIZE)),,fuzz-build)
	$(if $(filter 1,$(SANITIZE)),,$(Q)$(MAKE) --no-print-directory SANITIZE=1 OUTPUT=$(SAN_OUTPUT) $(SAN_OUTPUT)/weftd)
	$(Q)OUTPUT=$(OUT) WEFT_SAN_OUTPUT=$(SAN_OUTPUT) tests/run.sh

# The sanitized unit and BPF tests alone (what .ci/run runs): the build in
# $(SAN_OUTPUT), or in OUTPUT when SANITIZE=1 is given.
SAN_OUTPUT := $(if $(filter 1,$(SANITIZE)),$(OUT),$(abspath .output-san))
test-unit-sanitized: deps ## Build with SANITIZE=1 (into .output-san) and run only the unit and BPF tests
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 OUTPUT=$(SAN_OUTPUT) all unit-tests
	$(Q)OUTPUT=$(SAN_OUTPUT) tests/run.sh --unit

demo: deps ## Single-node demo: weftd + two pods in namespaces, ping, clean up
	$(Q)$(SUBMAKE) all
	$(Q)OUTPUT=$(OUT) scripts/demo.sh

bench: deps ## Benchmarks (figures, not tests): CNI ADD latency, same-node and cross-node throughput, live upgrade, throughput under a 10,000-rule policy against iptables, policy cost per packet, churn (1,000 ADD/DEL cycles, weftd SIGKILLed 20 times: leaks)
	$(Q)$(SUBMAKE) all $(TOOL_BINS) $(BENCH_BINS)
	$(Q)OUTPUT=$(OUT) bench/run.sh

# A fresh Debian 12 root (debootstrap, cached) runs `make demo` from a clean
# clone of HEAD: the first-run path that CI, with every package already
# installed, cannot see.
test-fresh: ## make demo in a fresh debootstrapped Debian 12 root (chroot); slow the first time
	$(Q)scripts/test-fresh.sh

# The image manifests/weft.yaml runs: podman (or docker) builds it from
# manifests/Containerfile on a Debian 12 base made once with debootstrap.
image: ## Build the image localhost/weft:VERSION and :latest (podman or docker); slow the first time
	$(Q)WEFT_VERSION=$(WEFT_VERSION) scripts/image.sh

install: all ## Install (DESTDIR, PREFIX, CNI_BIN_DIR honoured)
	$(call msg,INSTALL,$(DESTDIR))
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(BPF_INSTALL_DIR) $(DESTDIR)$(CNI_BIN_DIR)
	$(Q)install -m 0755 $(OUT)/weftd $(OUT)/weftctl $(DESTDIR)$(BINDIR)/
	$(Q)install -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPF_INSTALL_DIR)/
	$(Q)install -m 0755 $(OUT)/weft $(DESTDIR)$(CNI_BIN_DIR)/weft

uninstall: ## Remove what install put in place
	$(Q)rm -f $(DESTDIR)$(BINDIR)/weftd $(DESTDIR)$(BINDIR)/weftctl $(DESTDIR)$(CNI_BIN_DIR)/weft
	$(Q)rm -f $(addprefix $(DESTDIR)$(BPF_INSTALL_DIR)/,$(notdir $(BPF_OBJS)))

format: ## clang-format every C source in place
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format -i

clean: ## Remove the output directory
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

$(OUT)/bpf:
	$(Q)mkdir -p $@

.SECONDARY:
.DELETE_ON_ERROR:

-include $(wildcard $(OUT)/*/*.d $(OUT)/*/*/*.d $(OUT)/*/*/*/*.d)
