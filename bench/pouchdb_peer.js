// The PouchDB peer of bench/sync_bench.py: the same three measures against PouchDB 9 (LevelDB, in this
// process, as a device would hold it) replicating with a pouchdb-server 4.2 started by the bench.
//
//   node pouchdb_peer.js <node_modules dir> <server url> <docs.jsonl> <work dir> <settings json>
//
// docs.jsonl holds one document a line, as Levee's device received it (jobs and reference data). The last
// line printed is one JSON object with every sample (ms); progress goes to stderr.
"use strict";

const fs = require("fs");
const path = require("path");

const [modules, serverUrl, docsFile, workDir, settingsText] = process.argv.slice(2);
const PouchDB = require(path.join(modules, "pouchdb"));
const settings = JSON.parse(settingsText);
const BATCH = settings.batch_size;

function log(message) {
  process.stderr.write(`  pouchdb: ${message}\n`);
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function readDocs() {
  return fs
    .readFileSync(docsFile, "utf8")
    .split("\n")
    .filter((line) => line)
    .map((line) => JSON.parse(line));
}

async function seed(remote, docs) {
  for (let i = 0; i < docs.length; i += 500) {
    const results = await remote.bulkDocs(docs.slice(i, i + 500));
    const failed = results.filter((r) => r.error);
    if (failed.length) throw new Error(`seeding failed: ${JSON.stringify(failed[0])}`);
  }
}

async function changeOnServer(remote, ids, tag) {
  // The office edits 100 jobs (the same edit as sync_bench.office_change).
  const got = await remote.allDocs({ keys: ids, include_docs: true });
  const docs = got.rows.map((r) => ({ ...r.doc, symptom: `客户来电补充：夜间漏水 (${tag})`, version: r.doc.version + 1 }));
  await remote.bulkDocs(docs);
}

async function recordOnDevice(local, ids, rep) {
  // 100 taps, edits and checklist answers on different jobs, as sync_bench.record_mutations.
  for (let i = 0; i < ids.length; i++) {
    const doc = await local.get(ids[i]);
    const at = new Date().toISOString();
    if (i % 3 === 0) {
      doc.status = "arrived";
      doc.arrived_at = at;
      doc.events.push({ id: `${ids[i]}-arrived-${rep}`, type: "arrived", device_time: at, received_at: null, flagged: false, flag_reason: "" });
    } else if (i % 3 === 1) {
      doc.notes = `到场发现密封圈老化 (rep ${rep})`;
    } else {
      const answer = doc.checklist.find((a) => a.item_code === "seal") || doc.checklist[0];
      if (answer) {
        answer.result = "fault";
        answer.note = "机械密封渗漏";
        answer.answered_at = at;
        answer.version += 1;
      }
    }
    await local.put(doc);
  }
}

async function main() {
  const docs = readDocs();
  const jobIds = docs.filter((d) => d.kind_of_doc === "job").map((d) => d._id);
  for (const d of docs) delete d.kind_of_doc;
  const remote = new PouchDB(`${serverUrl}/levee`);
  let start = now();
  await seed(remote, docs);
  const out = { docs: docs.length, jobs: jobIds.length, batch_size: BATCH, seed_ms: now() - start };
  log(`seeded ${docs.length} documents in ${Math.round(out.seed_ms)} ms`);

  out.initial_sync = [];
  let local = null;
  for (let rep = 0; rep < settings.initial_reps; rep++) {
    if (local) await local.destroy();
    local = new PouchDB(path.join(workDir, `device${rep}`));
    start = now();
    const result = await local.replicate.from(remote, { batch_size: BATCH });
    const elapsed = now() - start;
    const info = await local.info();
    if (info.doc_count !== docs.length) throw new Error(`first download left ${info.doc_count} of ${docs.length} documents`);
    out.initial_sync.push(elapsed);
    log(`first download ${rep + 1}/${settings.initial_reps}: ${Math.round(elapsed)} ms, ${result.docs_written} documents`);
  }

  // Each measurement takes its own 100 jobs, as in sync_bench.
  let next = 0;
  const batch = () => jobIds.slice(next, (next += settings.batch));
  out.incremental_pull_100 = [];
  for (let rep = 0; rep < settings.reps; rep++) {
    const ids = batch();
    await changeOnServer(remote, ids, `rep ${rep}`);
    start = now();
    const result = await local.replicate.from(remote, { batch_size: BATCH });
    const elapsed = now() - start;
    if (result.docs_written !== ids.length) throw new Error(`incremental pull wrote ${result.docs_written} of ${ids.length}`);
    const doc = await local.get(ids[0]);
    if (!doc.symptom.includes("夜间漏水")) throw new Error("the incremental pull did not bring the change");
    out.incremental_pull_100.push(elapsed);
    log(`incremental pull ${rep + 1}/${settings.reps}: ${elapsed.toFixed(1)} ms`);
  }

  // A device's first push after its first download checks every pulled document with the server
  // (the revs_diff of 10,000 documents): timed on its own, outside the steady-state push samples.
  start = now();
  await local.replicate.to(remote, { batch_size: BATCH });
  out.first_push_nothing_changed_ms = now() - start;
  log(`first push after the download (nothing changed): ${Math.round(out.first_push_nothing_changed_ms)} ms`);
  out.push_100 = [];
  for (let rep = 0; rep < settings.reps; rep++) {
    const ids = batch();
    await recordOnDevice(local, ids, rep);
    start = now();
    const result = await local.replicate.to(remote, { batch_size: BATCH });
    const elapsed = now() - start;
    if (result.docs_written !== ids.length) throw new Error(`push wrote ${result.docs_written} of ${ids.length}`);
    out.push_100.push(elapsed);
    log(`push ${rep + 1}/${settings.reps}: ${elapsed.toFixed(1)} ms`);
  }
  await local.destroy();
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((error) => {
  process.stderr.write(`pouchdb peer failed: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
