// Reads dependency-cruiser's JSON on stdin and fails when the folders of src/ (each file
// directly in src/ counts as its own) import each other in a cycle. dependency-cruiser's
// no-circular rule sees files only; a folder-level cycle (queue -> report -> queue) is how a
// layer starts to depend on the one above it (issue 15).
import console from 'node:console';
import { Buffer } from 'node:buffer';
import process from 'node:process';

// read as a stream: readFileSync(0) fails with EAGAIN when stdin is a non-blocking pipe
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const result = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const folderOf = (file) => file.match(/^src\/([^/]+)\//)?.[1] ?? file.replace(/^src\//, '');
const edges = new Map();
for (const module of result.modules) {
  if (!module.source.startsWith('src/')) continue;
  const from = folderOf(module.source);
  for (const dependency of module.dependencies) {
    if (!dependency.resolved.startsWith('src/')) continue;
    const to = folderOf(dependency.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    edges.get(from).set(to, `${module.source} -> ${dependency.resolved}`);
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a cycle
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function visit(folder) {
  index.set(folder, counter);
  low.set(folder, counter++);
  stack.push(folder);
  onStack.add(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(folder, Math.min(low.get(folder), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(folder, Math.min(low.get(folder), index.get(next)));
    }
  }
  if (low.get(folder) !== index.get(folder)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== folder);
  if (component.length > 1) cycles.push(component);
}
for (const folder of edges.keys()) if (!index.has(folder)) visit(folder);

if (cycles.length === 0) {
  console.log(`✔ no folder-level cycles (${edges.size} folders)`);
} else {
  for (const cycle of cycles) {
    console.error(`✘ folders import each other in a cycle: ${cycle.join(', ')}`);
    for (const from of cycle) for (const [to, example] of edges.get(from)) if (cycle.includes(to)) console.error(`    ${from} -> ${to}: e.g. ${example}`);
  }
  process.exit(1);
}
