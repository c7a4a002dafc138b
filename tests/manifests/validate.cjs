#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
//
// The offline manifest check: every object of every YAML file given is
// validated against the Kubernetes OpenAPI schema of its apiVersion and kind,
// as kubernetes-models 4.5.1 compiled it (Kubernetes v1.33.0), with nothing
// but files: no cluster, no network.
//
//   node tests/manifests/validate.cjs [--modules DIR] [--json] FILE...
//
// DIR holds the node_modules that `make deps` installed (default
// $OUTPUT/npm, OUTPUT defaulting to .output). With --json the objects are
// printed as one JSON array on stdout (for jq in the tests) and the verdicts
// go to stderr. Exit status: 0 when every object passes, 1 when one does
// not, 2 on a usage error or a missing package.
//
// Three kinds of check, each error naming the file, the object and the path:
//  - the schema's own: types, required fields, enums, formats;
//  - no field the schema does not know. The compiled validators, like the API
//    server's default decoding, pass over unknown fields, so a misspelled
//    optional field (`imagePullPolicey`) would be dropped without a word and
//    its setting lost. Each object is handed to the validator behind a Proxy
//    that records which properties the validator reads: a validator reads
//    every property its schema declares (to check it) and every key of a map
//    (labels, ConfigMap data), so a key it never read is one the schema does
//    not declare;
//  - a few rules the API server enforces beyond the schema, which matter to a
//    CNI's DaemonSet (see apiRules).
"use strict";

const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

function usage(msg) {
	if (msg) process.stderr.write(`validate: ${msg}\n`);
	process.stderr.write("usage: validate.cjs [--modules DIR] [--json] FILE...\n");
	process.exit(2);
}

const args = process.argv.slice(2);
let modules = path.join(process.env.OUTPUT || ".output", "npm");
let json = false;
const files = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === "--modules") {
		if (++i >= args.length) usage("--modules needs a directory");
		modules = args[i];
	} else if (args[i] === "--json") {
		json = true;
	} else if (args[i].startsWith("-")) {
		usage(`unknown option ${args[i]}`);
	} else {
		files.push(args[i]);
	}
}
if (!files.length) usage("no file given");

// Resolve the packages from DIR/node_modules, wherever this script is.
const req = createRequire(path.join(path.resolve(modules), "package.json"));
let YAML;
try {
	YAML = req("yaml");
	req.resolve("kubernetes-models/v1");
} catch (e) {
	process.stderr.write(
		`validate: the npm packages are not in ${modules}/node_modules: run 'make deps' (${e.code || e.message})\n`
	);
	process.exit(2);
}

// apiVersion "v1" is the core group, "apps/v1" the group apps: the package's
// export paths follow the same shape.
function modelFor(apiVersion, kind) {
	if (typeof apiVersion !== "string" || !/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion))
		return null;
	let mod;
	try {
		mod = req(`kubernetes-models/${apiVersion}`);
	} catch (e) {
		return null;
	}
	const model = Object.prototype.hasOwnProperty.call(mod, kind) ? mod[kind] : null;
	return model && model.apiVersion === apiVersion && model.kind === kind ? model : null;
}

// A deep copy of value behind Proxies that record, per object, the keys read.
function tracked(value, where, objects) {
	if (Array.isArray(value)) return value.map((v, i) => tracked(v, `${where}[${i}]`, objects));
	if (value === null || typeof value !== "object") return value;
	const read = new Set();
	const copy = {};
	for (const k of Object.keys(value)) copy[k] = tracked(value[k], `${where}.${k}`, objects);
	objects.push({ where, keys: Object.keys(value), read });
	const note = (k) => {
		if (typeof k === "string") read.add(k);
	};
	return new Proxy(copy, {
		get(o, k, r) {
			note(k);
			return Reflect.get(o, k, r);
		},
		has(o, k) {
			note(k);
			return Reflect.has(o, k);
		},
	});
}

// The model's validate(), which runs the compiled schema on `this`, called
// on the tracked copy: the model's constructor would copy the object and
// lose the Proxies.
// "/spec/containers/0/image" -> ".spec.containers[0].image", as kubectl says it.
function dotted(pointer) {
	return pointer
		.split("/")
		.slice(1)
		.map((p) => (/^[0-9]+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, "/").replace(/~0/g, "~")}`))
		.join("");
}

// The model's validate(), which runs the compiled schema on `this`, called
// on the tracked copy: the model's constructor would copy the object and
// lose the Proxies.
function schemaErrors(model, obj) {
	const objects = [];
	const errors = [];
	try {
		model.prototype.validate.call(tracked(obj, "", objects));
	} catch (e) {
		const list = e.errors || e.details || [];
		if (Array.isArray(list) && list.length)
			for (const x of list) errors.push(`${dotted(x.instancePath || "") || "."} ${x.message}`);
		else errors.push(String(e.message));
	}
	for (const o of objects) for (const k of o.keys) if (!o.read.has(k)) errors.push(`${o.where}.${k}: unknown field`);
	return errors;
}

function podSpecOf(obj) {
	const s = obj.spec || {};
	if (obj.kind === "Pod") return s;
	if (s.template && s.template.spec) return s.template.spec;
	if (s.jobTemplate && s.jobTemplate.spec && s.jobTemplate.spec.template) return s.jobTemplate.spec.template.spec;
	return null;
}

// Linux's capabilities, as a container's securityContext names them (the
// runtime adds CAP_): a misspelled one is refused only when a node starts
// the container.
const CAPS = new Set(
	("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE " +
		"NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO " +
		"SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME " +
		"SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG " +
		"WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE").split(" ")
);

// What the API server (or, for capabilities, the node) refuses although the
// schema allows it.
function apiRules(obj) {
	const errors = [];
	const pod = podSpecOf(obj);
	if (pod) {
		const all = [...(pod.initContainers || []), ...(pod.containers || [])];
		const volumes = new Set((pod.volumes || []).map((v) => v.name));
		const names = new Set();
		for (const c of all) {
			if (names.has(c.name)) errors.push(`container name "${c.name}" used twice`);
			names.add(c.name);
			const sc = c.securityContext || {};
			const privileged = !!sc.privileged;
			const caps = sc.capabilities || {};
			for (const [how, list] of [
				["add", caps.add || []],
				["drop", caps.drop || []],
			])
				for (const cap of list)
					if (!CAPS.has(cap) && !(how === "drop" && cap === "ALL"))
						errors.push(`container ${c.name}: capabilities.${how}: unknown capability "${cap}"`);
			if (sc.allowPrivilegeEscalation === false && (privileged || (caps.add || []).includes("SYS_ADMIN")))
				errors.push(`container ${c.name}: allowPrivilegeEscalation false with privileged or SYS_ADMIN`);
			for (const m of c.volumeMounts || []) {
				if (!volumes.has(m.name)) errors.push(`container ${c.name}: volumeMount "${m.name}" names no volume`);
				// Only a privileged container may propagate its mounts to the host.
				if (m.mountPropagation === "Bidirectional" && !privileged)
					errors.push(`container ${c.name}: mountPropagation Bidirectional needs privileged: true`);
			}
		}
	}
	const sel = obj.spec && obj.spec.selector && obj.spec.selector.matchLabels;
	const tmpl = obj.spec && obj.spec.template && obj.spec.template.metadata;
	if (sel && tmpl) {
		const labels = tmpl.labels || {};
		for (const [k, v] of Object.entries(sel))
			if (labels[k] !== v) errors.push(`spec.selector.matchLabels ${k}=${v} does not select the pod template`);
	}
	// A conflist or JSON config in a ConfigMap must parse: libcni would skip it.
	if (obj.kind === "ConfigMap")
		for (const [k, v] of Object.entries(obj.data || {}))
			if (/\.(conflist|conf|json)$/.test(k))
				try {
					JSON.parse(v);
				} catch (e) {
					errors.push(`data.${k}: not JSON: ${e.message}`);
				}
	return errors;
}

const out = json ? process.stderr : process.stdout;
const all = [];
let bad = 0;
for (const file of files) {
	let text;
	try {
		text = fs.readFileSync(file, "utf8");
	} catch (e) {
		out.write(`error ${file}: ${e.message}\n`);
		bad++;
		continue;
	}
	const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
	docs.forEach((doc, i) => {
		const at = `${file}: document ${i + 1}`;
		if (doc.errors.length || doc.warnings.length) {
			for (const e of [...doc.errors, ...doc.warnings]) out.write(`error ${at}: ${e.message}\n`);
			bad++;
			return;
		}
		const obj = doc.toJS();
		if (obj === null) return; // an empty document (a trailing ---)
		if (typeof obj !== "object" || Array.isArray(obj)) {
			out.write(`error ${at}: not an object\n`);
			bad++;
			return;
		}
		const meta = obj.metadata || {};
		const name = `${obj.kind} ${meta.namespace ? meta.namespace + "/" : ""}${meta.name}`;
		const model = modelFor(obj.apiVersion, obj.kind);
		const errors = model
			? [...schemaErrors(model, obj), ...apiRules(obj)]
			: [`no schema for apiVersion "${obj.apiVersion}" kind "${obj.kind}" in Kubernetes v1.33`];
		if (errors.length) {
			for (const e of errors) out.write(`error ${file}: ${name}: ${e}\n`);
			bad++;
		} else {
			out.write(`ok ${file}: ${name}\n`);
		}
		all.push(obj);
	});
}
if (json) process.stdout.write(JSON.stringify(all) + "\n");
process.exit(bad ? 1 : 0);
