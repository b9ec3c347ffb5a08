/*
 * validate.js: checks conf/openapi.json with ajv (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1), and validates recorded responses against it.
 *
 *   node tests/apidoc/validate.js DOC [SAMPLES]
 *
 * Without SAMPLES it checks the document: every $ref resolves, every
 * schema compiles in ajv's strict mode (a misspelt keyword is an error,
 * not an ignored annotation), and every example validates against its
 * schema. SAMPLES is a JSON array of recorded answers
 *   [{"method":"get","path":"/shop/{id}","status":200,"body":{...}}, ...]
 * (path = the document's path key) and each body must validate against
 * the schema the document gives for that operation and status.
 * Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed";
 * exits 1 when anything failed. ajv comes from NODE_PATH (the caller
 * points it at build/npm/node_modules, see tests/npm_deps.sh).
 */
"use strict";

const fs = require("fs");
let Ajv2020;
try {
    Ajv2020 = require("ajv/dist/2020");
} catch (e) {
    console.log("not ok - ajv is not installed (run tests/npm_deps.sh; NODE_PATH=" +
                (process.env.NODE_PATH || "") + ")");
    console.log("0 passed, 1 failed");
    process.exit(1);
}

const ROOT = "urn:hmdp:openapi";
let pass = 0, fail = 0;
function result(ok, what, detail) {
    if (ok) {
        pass++;
        console.log("ok - " + what);
    } else {
        fail++;
        console.log("not ok - " + what + (detail ? "\n  " + detail : ""));
    }
}

const doc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const samples = process.argv[3]
    ? JSON.parse(fs.readFileSync(process.argv[3], "utf8")) : null;

/* A copy of x with each "#/components/schemas/X" reference made absolute,
 * so a schema compiled on its own finds the components. */
function absolutize(x) {
    if (Array.isArray(x))
        return x.map(absolutize);
    if (x && typeof x === "object") {
        const o = {};
        for (const k of Object.keys(x))
            o[k] = k === "$ref" && typeof x[k] === "string" &&
                           x[k].startsWith("#/components/schemas/")
                       ? ROOT + "#/$defs/" + x[k].slice(21)
                       : absolutize(x[k]);
        return o;
    }
    return x;
}

const ajv = new Ajv2020({strict: true, allErrors: true});
/* OpenAPI's own formats: a number's width, a file part */
ajv.addFormat("int32", {type: "number", validate: (n) => Number.isInteger(n) &&
                                                   n >= -2147483648 && n <= 2147483647});
ajv.addFormat("int64", {type: "number", validate: (n) => Number.isInteger(n)});
ajv.addFormat("double", {type: "number", validate: () => true});
ajv.addFormat("binary", {type: "string", validate: () => true});

function pointer(path) {
    let x = doc;
    for (const p of path.slice(2).split("/"))
        x = x === undefined ? undefined : x[p.replace(/~1/g, "/").replace(/~0/g, "~")];
    return x;
}

/* 1. references */
let bad = [];
(function walk(x, where) {
    if (Array.isArray(x))
        return x.forEach((v, i) => walk(v, where + "/" + i));
    if (x && typeof x === "object")
        for (const k of Object.keys(x)) {
            if (k === "$ref" && (typeof x[k] !== "string" ||
                                 !x[k].startsWith("#/") || pointer(x[k]) === undefined))
                bad.push(where + ": " + x[k]);
            walk(x[k], where + "/" + k);
        }
})(doc, "#");
result(bad.length === 0, "every $ref resolves", bad.join("\n  "));

/* 2. the component schemas, strict */
try {
    ajv.addSchema({$id: ROOT, $defs: absolutize(doc.components.schemas)});
    for (const name of Object.keys(doc.components.schemas))
        ajv.getSchema(ROOT + "#/$defs/" + name);
    result(true, "the component schemas compile (strict)");
} catch (e) {
    result(false, "the component schemas compile (strict)", e.message);
}

function resolve(x) {
    return x && x.$ref ? pointer(x.$ref) : x;
}

/* The compiled schema of an operation's answer, or a reason why not. */
const cache = new Map();
function responseValidator(method, path, status) {
    const key = method + " " + path + " " + status;
    if (cache.has(key))
        return cache.get(key);
    let v;
    const op = doc.paths[path] && doc.paths[path][method];
    if (!op) {
        v = "no operation " + method.toUpperCase() + " " + path + " in the document";
    } else {
        const resp = resolve(op.responses[String(status)]);
        const media = resp && resp.content && resp.content["application/json"];
        if (!resp)
            v = "the document lists no " + status + " answer for " + key;
        else if (!media)
            v = "no application/json schema for " + key;
        else
            try {
                v = ajv.compile(absolutize(media.schema));
            } catch (e) {
                v = "schema of " + key + " does not compile: " + e.message;
            }
    }
    cache.set(key, v);
    return v;
}

function check(validate, value, what) {
    if (typeof validate === "string")
        return result(false, what, validate);
    const ok = validate(value);
    result(ok, what, ok ? "" : ajv.errorsText(validate.errors, {separator: "\n  "}) +
                               "\n  value: " + JSON.stringify(value).slice(0, 600));
}

/* 3. every operation's schemas compile and its examples validate */
let nops = 0;
for (const path of Object.keys(doc.paths))
    for (const method of Object.keys(doc.paths[path])) {
        const op = doc.paths[path][method];
        nops++;
        for (const status of Object.keys(op.responses)) {
            const resp = resolve(op.responses[status]);
            const media = resp.content && resp.content["application/json"];
            if (!media)
                continue;
            const v = responseValidator(method, path, status);
            if (typeof v === "string")
                result(false, method.toUpperCase() + " " + path + " " + status, v);
            else if (media.example !== undefined)
                check(v, media.example, "example of " + method.toUpperCase() + " " + path + " " + status);
        }
        const body = op.requestBody && op.requestBody.content;
        for (const ct of Object.keys(body || {}))
            try {
                ajv.compile(absolutize(body[ct].schema));
            } catch (e) {
                result(false, "request body of " + method.toUpperCase() + " " + path, e.message);
            }
    }
result(nops > 0, "the document has " + nops + " operations");

/* 4. recorded answers */
if (samples)
    for (const s of samples)
        check(responseValidator(s.method, s.path, s.status), s.body,
              s.method.toUpperCase() + " " + (s.url || s.path) + " -> " + s.status +
                  " matches " + s.path);

console.log(pass + " passed, " + fail + " failed");
process.exit(fail ? 1 : 0);
