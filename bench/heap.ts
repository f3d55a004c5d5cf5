// node bench/heap.ts <file.heapsnapshot> [top]: where a V8 heap snapshot's memory is, by kind of object: the self
// size of every node summed by its constructor (objects), or by its node type (strings, code, arrays, ...), and the
// total. Retained sizes would need the dominator tree; self sizes by kind already say which objects dominate.
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/heap.ts <file.heapsnapshot> [top]");
  process.exit(2);
}
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const at = { type: fields.indexOf("type"), name: fields.indexOf("name"), size: fields.indexOf("self_size") };
const byKind = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + at.type] as number] as string;
  const size = snap.nodes[i + at.size] as number;
  const kind =
    type === "object" || type === "closure"
      ? `${type} ${snap.strings[snap.nodes[i + at.name] as number]}`
      : `(${type})`;
  const k = byKind.get(kind) ?? { bytes: 0, count: 0 };
  k.bytes += size;
  k.count++;
  byKind.set(kind, k);
  total += size;
}
const mib = (b: number) => (b / 1048576).toFixed(1);
console.log(`total self size ${mib(total)} MiB in ${snap.nodes.length / width} nodes`);
for (const [kind, k] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(topArg ?? 25)))
  console.log(`${mib(k.bytes).padStart(8)} MiB ${String(k.count).padStart(9)}  ${kind}`);
